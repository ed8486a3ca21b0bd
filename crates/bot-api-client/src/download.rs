//! File downloads: streamed into any `AsyncWrite`, with an idle timeout instead of a total one
//! and a size limit that holds however the size is announced; in local mode, reads from the
//! local Bot API server's directory of this bot only.

use crate::error::TransportKind;
use crate::types::File;
use crate::{Client, Error};
use futures_util::StreamExt;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

impl Client {
    /// `getFile` then [`download_file`](Self::download_file).
    pub async fn download_file_by_id<W>(&self, file_id: &str, writer: &mut W) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let file = self.file(file_id).await?;
        self.download_file(&file, writer).await
    }

    /// Streams a file prepared by [`file`](Self::file) into `writer` and returns its length.
    ///
    /// Fails with [`Error::FileTooLarge`] past the download limit, and with a
    /// [`TransportKind::Timeout`] when nothing arrives for the idle timeout; there is no total
    /// timeout. Downloads are not retried: `writer` may already hold part of the file. The limit
    /// holds however the size is announced: `file_size` and `Content-Length` refuse a file early,
    /// and the bytes are counted as they arrive, so a missing or lying length changes nothing.
    ///
    /// In local mode an absolute `file_path` is read from this machine's disk. It must lie in
    /// the bot's `<dir>/<token>/` directory of the local server, as every path its `getFile`
    /// returns does, and have no `..` component ([`Error::LocalPathRefused`] otherwise), so a
    /// [`File`] built from other input cannot read arbitrary files.
    pub async fn download_file<W>(&self, file: &File, writer: &mut W) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        const METHOD: &str = "download";
        let path = file.file_path.as_deref().ok_or_else(|| Error::NoFilePath {
            file_id: file.file_id.clone(),
        })?;
        let limit = self.inner.download_limit;
        if let Some(size) = file.file_size
            && size > limit
        {
            return Err(Error::FileTooLarge {
                limit,
                size: Some(size),
            });
        }
        if self.inner.local_mode && path.starts_with('/') {
            self.check_local_path(path)?;
            let source = tokio::fs::File::open(path)
                .await
                .map_err(|e| self.file_io(&e))?;
            return self.copy_local(source, writer).await;
        }
        let idle = self.inner.download_idle_timeout;
        let url = format!("{}{}", self.inner.file_prefix, path.trim_start_matches('/'));
        let send = self.inner.http.get(url).send();
        let response = tokio::time::timeout(idle, send)
            .await
            .map_err(|_| idle_timeout(METHOD, idle))?
            .map_err(|e| self.transport_error(METHOD, e))?;
        let status = response.status().as_u16();
        if !response.status().is_success() {
            // An error answer is read only up to a bound: it is a small JSON envelope, and a
            // broken server streaming an endless error page must not fill memory.
            const ERROR_BODY_LIMIT: usize = 64 * 1024;
            let mut bytes = Vec::new();
            let mut stream = response.bytes_stream();
            while bytes.len() < ERROR_BODY_LIMIT {
                let next = tokio::time::timeout(idle, stream.next())
                    .await
                    .map_err(|_| idle_timeout(METHOD, idle))?;
                let Some(chunk) = next else { break };
                let chunk = chunk.map_err(|e| self.transport_error(METHOD, e))?;
                let room = ERROR_BODY_LIMIT.saturating_sub(bytes.len());
                bytes.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
            }
            return match self.decode::<serde_json::Value>(METHOD, status, &bytes) {
                Err(error @ Error::Api { .. }) => Err(error),
                _ => Err(Error::Decode {
                    method: METHOD,
                    status,
                    message: "download answered a non-success status".to_owned(),
                    body: self.sanitize(&String::from_utf8_lossy(&bytes)),
                }),
            };
        }
        if let Some(size) = response.content_length()
            && size > limit
        {
            return Err(Error::FileTooLarge {
                limit,
                size: Some(size),
            });
        }
        let mut stream = response.bytes_stream();
        let mut written: u64 = 0;
        loop {
            let next = tokio::time::timeout(idle, stream.next())
                .await
                .map_err(|_| idle_timeout(METHOD, idle))?;
            let Some(chunk) = next else { break };
            let chunk = chunk.map_err(|e| self.transport_error(METHOD, e))?;
            written = written.saturating_add(chunk.len() as u64);
            if written > limit {
                return Err(Error::FileTooLarge { limit, size: None });
            }
            writer
                .write_all(&chunk)
                .await
                .map_err(|e| self.file_io(&e))?;
        }
        writer.flush().await.map_err(|e| self.file_io(&e))?;
        Ok(written)
    }

    /// A local Bot API server keeps a bot's files under `<dir>/<token>/`, so a path from its
    /// `getFile` names the token as a directory. Requiring that (and no `..`) keeps a `File`
    /// that did not come from the server from reading any file the process can read.
    fn check_local_path(&self, path: &str) -> Result<(), Error> {
        use std::path::Component;
        let components: Vec<Component<'_>> = std::path::Path::new(path).components().collect();
        if components.contains(&Component::ParentDir) {
            return Err(Error::LocalPathRefused {
                reason: "it has a .. component",
            });
        }
        let token = std::ffi::OsStr::new(self.inner.token.dangerous_expose());
        if !components.iter().any(|c| c.as_os_str() == token) {
            return Err(Error::LocalPathRefused {
                reason: "it is not inside the bot's <dir>/<token>/ directory of the local server",
            });
        }
        Ok(())
    }

    async fn copy_local<R, W>(&self, mut source: R, writer: &mut W) -> Result<u64, Error>
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin + ?Sized,
    {
        let limit = self.inner.download_limit;
        let mut buffer = vec![0u8; 64 * 1024];
        let mut written: u64 = 0;
        loop {
            let read = source
                .read(&mut buffer)
                .await
                .map_err(|e| self.file_io(&e))?;
            let Some(chunk) = buffer.get(..read).filter(|c| !c.is_empty()) else {
                break;
            };
            written = written.saturating_add(chunk.len() as u64);
            if written > limit {
                return Err(Error::FileTooLarge { limit, size: None });
            }
            writer
                .write_all(chunk)
                .await
                .map_err(|e| self.file_io(&e))?;
        }
        writer.flush().await.map_err(|e| self.file_io(&e))?;
        Ok(written)
    }

    fn file_io(&self, error: &std::io::Error) -> Error {
        Error::FileIo {
            message: self.sanitize(&error.to_string()),
        }
    }
}

fn idle_timeout(method: &'static str, idle: Duration) -> Error {
    Error::Transport {
        method,
        kind: TransportKind::Timeout,
        message: format!("nothing received for {} ms", idle.as_millis()),
    }
}
