//! `tgauth sandbox`: run the loopback Telegram emulator until Ctrl-C.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode};

use clap::Args;
use tgauth::telegram_sandbox::{Sandbox, SandboxHandle};

/// Arguments of `tgauth sandbox`.
#[derive(Debug, Args)]
pub(crate) struct SandboxArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: SocketAddr,
    /// JSON file that keeps the sandbox's state across restarts (created if missing).
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
}

/// Runs the sandbox until Ctrl-C (SIGINT), printing its base URL first.
pub(crate) fn run(args: SandboxArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(&error),
    };
    runtime.block_on(async {
        let mut builder = Sandbox::builder();
        if let Some(state) = args.state {
            builder = builder.state_file(state);
        }
        let sandbox = match builder.start(args.listen).await {
            Ok(sandbox) => sandbox,
            Err(error) => return fail(&error),
        };
        announce(&sandbox);
        if let Err(error) = tokio::signal::ctrl_c().await {
            return fail(&error);
        }
        match sandbox.shutdown().await {
            Ok(()) => {
                eprintln!("tgauth sandbox: stopped");
                ExitCode::SUCCESS
            }
            Err(error) => fail(&error),
        }
    })
}

fn announce(sandbox: &SandboxHandle) {
    let base = sandbox.base_url();
    println!("{base}");
    eprintln!("tgauth sandbox: listening on {base}");
    eprintln!("  Bot API:     {base}/bot<token>/<method>, files at {base}/file/bot<token>/<path>");
    eprintln!(
        "  control API: {base}/sandbox/ (POST /sandbox/bots first; see the telegram-sandbox docs)"
    );
    eprintln!("  Ctrl-C stops it");
}

/// Prints an error with its causes and returns the failure exit code.
fn fail(error: &dyn std::error::Error) -> ExitCode {
    let mut message = format!("tgauth sandbox: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    eprintln!("{message}");
    ExitCode::FAILURE
}
