//! The conformance suite on the in-memory store.

use deeplink_auth::store::{MemoryStore, StoreError};

use crate::conformance::{Harness, conformance_suite};

struct Memory(MemoryStore);

impl Harness for Memory {
    type S = MemoryStore;

    fn store(&self) -> MemoryStore {
        self.0.clone()
    }

    async fn reopen(&self) -> Option<MemoryStore> {
        None
    }

    async fn down(&self) -> Option<Result<MemoryStore, StoreError>> {
        None
    }
}

async fn open(_test: &str) -> Option<Memory> {
    Some(Memory(MemoryStore::default()))
}

conformance_suite!(open);
