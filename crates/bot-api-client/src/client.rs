//! The client: typed methods, retries on 429/5xx, downloads with an idle timeout and a size limit.
