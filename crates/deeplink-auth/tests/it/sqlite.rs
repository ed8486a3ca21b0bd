//! The conformance suite on SQLite files in a temporary directory, plus crash-safety details.

use deeplink_auth::store::SqliteStore;
use deeplink_auth::{AnyStore, Store, StoreError};

use crate::conformance::{Harness, NOW, conformance_suite, user};

struct Sqlite {
    dir: tempfile::TempDir,
    store: SqliteStore,
}

impl Sqlite {
    fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("links.db")
    }
}

impl Harness for Sqlite {
    type S = SqliteStore;

    fn store(&self) -> SqliteStore {
        self.store.clone()
    }

    async fn reopen(&self) -> Option<SqliteStore> {
        self.store.close().await;
        Some(SqliteStore::open_path(&self.path()).await.unwrap())
    }

    async fn down(&self) -> Option<Result<SqliteStore, StoreError>> {
        let down = SqliteStore::open_path(&self.dir.path().join("down.db"))
            .await
            .unwrap();
        down.close().await;
        Some(Ok(down))
    }
}

async fn open(_test: &str) -> Option<Sqlite> {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_path(&dir.path().join("links.db"))
        .await
        .unwrap();
    Some(Sqlite { dir, store })
}

conformance_suite!(open);

#[tokio::test]
async fn url_opens_a_new_file_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fresh.db");
    let url = format!("sqlite://{}", path.display());
    let store = AnyStore::open(&url).await.unwrap();
    store
        .issue(&user("alice"), deeplink_auth::Ttl::CODE_DEFAULT, NOW)
        .await
        .unwrap();
    assert!(path.exists());
    assert!(dir.path().join("fresh.db-wal").exists(), "WAL journal");
    // Opening again applies no migration twice.
    drop(store);
    let again = AnyStore::open(&url).await.unwrap();
    assert_eq!(again.links_of_user(&user("alice")).await.unwrap(), vec![]);
}

#[tokio::test]
async fn bad_urls_are_typed_errors() {
    for url in ["nonsense", "ftp://x", "mysql://localhost/db"] {
        let error = AnyStore::open(url).await.unwrap_err();
        assert!(matches!(error, StoreError::Url { .. }), "{url}: {error:?}");
    }
    let missing_dir = AnyStore::open("sqlite:///nonexistent-dir-for-tgauth/x.db")
        .await
        .unwrap_err();
    assert!(
        matches!(
            missing_dir,
            StoreError::Unavailable { .. } | StoreError::Backend { .. }
        ),
        "{missing_dir:?}"
    );
}

#[tokio::test]
async fn a_file_from_elsewhere_is_refused_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-a-db.db");
    std::fs::write(
        &path,
        b"this is not a sqlite database, and it stays as it is",
    )
    .unwrap();
    assert!(SqliteStore::open_path(&path).await.is_err());
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"this is not a sqlite database, and it stays as it is"
    );
}
