//! The parts of a replicated deployment on loopback, each a real program: a PostgreSQL server
//! and a Redis server of the harness's own (so that a test may restart them without touching
//! the suites' shared ones), `tgauth serve` replicas as child processes, and Debian's haproxy
//! in front of them.
//!
//! Where the programs are comes from `.ci/services.sh`: `TGAUTH_TEST_POSTGRES_BINDIR` (initdb
//! and pg_ctl), `TGAUTH_TEST_HAPROXY`, and `redis-server` on the PATH. Without them the tests
//! skip with a line saying so, or fail when `TGAUTH_REQUIRE_SERVICES=1` (CI).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free loopback port now (the listener is dropped: the program that binds it next is ours).
pub(crate) fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The programs the harness needs, or why they are missing.
pub(crate) struct Programs {
    pub(crate) postgres_bindir: PathBuf,
    pub(crate) haproxy: PathBuf,
    pub(crate) redis_server: PathBuf,
}

impl Programs {
    /// The programs, or `None` (after a line on stderr) when one is missing and CI does not
    /// require them.
    pub(crate) fn find() -> Option<Self> {
        let found = (|| {
            let postgres_bindir = std::env::var_os("TGAUTH_TEST_POSTGRES_BINDIR")
                .map(PathBuf::from)
                .ok_or("TGAUTH_TEST_POSTGRES_BINDIR is not set")?;
            let haproxy = std::env::var_os("TGAUTH_TEST_HAPROXY")
                .map(PathBuf::from)
                .ok_or("TGAUTH_TEST_HAPROXY is not set")?;
            let redis_server = which("redis-server").ok_or("redis-server is not on the PATH")?;
            Ok::<_, &str>(Self {
                postgres_bindir,
                haproxy,
                redis_server,
            })
        })();
        match found {
            Ok(programs) => Some(programs),
            Err(why) => {
                assert!(
                    !tgauth_tests::services_required(),
                    "the replica harness needs PostgreSQL, Redis and haproxy: {why} \
                     (`source .ci/services.sh` provides them)"
                );
                eprintln!(
                    "SKIPPED: the replica harness needs PostgreSQL, Redis and haproxy: {why}"
                );
                None
            }
        }
    }
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

/// Waits until `ready` or panics after `limit` naming `what`.
pub(crate) fn wait_until(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "{what} within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A PostgreSQL server of the test's own, in a temporary directory.
pub(crate) struct Postgres {
    bindir: PathBuf,
    data: PathBuf,
    port: u16,
    as_owner: bool,
}

impl Postgres {
    pub(crate) fn start(programs: &Programs, directory: &Path) -> Self {
        let data = directory.join("postgres");
        std::fs::create_dir_all(&data).unwrap();
        let as_owner = running_as_root();
        if as_owner {
            // PostgreSQL refuses to run as root: its files belong to the postgres user.
            let status = Command::new("chown")
                .args(["-R", "postgres"])
                .arg(directory)
                .status()
                .unwrap();
            assert!(status.success(), "chown postgres {}", directory.display());
            let status = Command::new("chmod")
                .arg("755")
                .arg(directory)
                .status()
                .unwrap();
            assert!(status.success());
        }
        let postgres = Self {
            bindir: programs.postgres_bindir.clone(),
            data,
            port: free_port(),
            as_owner,
        };
        let output = postgres
            .command("initdb")
            .arg("-D")
            .arg(&postgres.data)
            .args(["-U", "tgauth", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        postgres.start_server();
        postgres
    }

    fn command(&self, program: &str) -> Command {
        let program = self.bindir.join(program);
        let mut command = if self.as_owner {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        command.current_dir("/").stdin(Stdio::null());
        command
    }

    pub(crate) fn start_server(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c max_connections=300 -c fsync=off",
            self.port,
            self.data.display()
        );
        let output = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(self.data.join("server.log"))
            .args(["-w", "-t", "60", "-o", &options, "start"])
            .stdout(Stdio::null())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "pg_ctl start: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Stops the server now, dropping every connection (`-m immediate`, like a crash).
    pub(crate) fn stop_server(&self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    pub(crate) fn url(&self) -> String {
        format!("postgres://tgauth@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop_server();
    }
}

/// A child process killed when dropped.
pub(crate) struct Process {
    child: Option<Child>,
}

impl Process {
    pub(crate) fn spawn(command: &mut Command) -> Self {
        Self {
            child: Some(command.spawn().unwrap()),
        }
    }

    /// SIGKILL, and wait for it.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Its resident memory (`VmRSS`) in MiB, while it runs.
    pub(crate) fn resident_mib(&self) -> Option<f64> {
        let pid = self.child.as_ref()?.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let kib: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kib / 1024.0)
    }

    /// SIGTERM (the graceful stop a service manager sends), and wait for the exit.
    pub(crate) fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        child.wait().unwrap()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A Redis server of the test's own, without persistence.
pub(crate) struct Redis {
    program: PathBuf,
    port: u16,
    process: Process,
}

impl Redis {
    pub(crate) fn start(programs: &Programs) -> Self {
        let port = free_port();
        let process = Self::spawn(&programs.redis_server, port);
        Self {
            program: programs.redis_server.clone(),
            port,
            process,
        }
    }

    fn spawn(program: &Path, port: u16) -> Process {
        let process = Process::spawn(
            Command::new(program)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        wait_until("redis answers", Duration::from_secs(30), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        process
    }

    pub(crate) fn stop(&mut self) {
        self.process.kill();
    }

    pub(crate) fn restart(&mut self) {
        self.process = Self::spawn(&self.program, self.port);
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

/// haproxy in front of the replicas: round robin, a health check on `/readyz` every 300 ms
/// with a second to answer (a replica that is down or draining leaves the rotation after two
/// failed checks; without `timeout check` haproxy would allow the 300 ms interval, which a
/// loaded two-core machine misses for every replica at once), and a request whose connection
/// failed sent again to another replica.
pub(crate) struct Haproxy {
    pub(crate) port: u16,
    /// Its standard error: the servers going DOWN and UP, with the check's reason.
    log: PathBuf,
    _process: Process,
}

impl Haproxy {
    pub(crate) fn start(programs: &Programs, directory: &Path, replicas: &[u16]) -> Self {
        let port = free_port();
        let mut config = format!(
            "global\n    maxconn 4000\n\
             defaults\n    mode http\n    timeout connect 2s\n    timeout client 120s\n    \
             timeout server 120s\n    timeout http-keep-alive 30s\n    retries 3\n    \
             option redispatch 1\n    retry-on conn-failure empty-response\n    \
             option forwardfor\n\
             frontend website\n    bind 127.0.0.1:{port}\n    default_backend replicas\n\
             backend replicas\n    balance roundrobin\n    option httpchk GET /readyz\n    \
             http-check expect status 200\n    \
             timeout check 1s\n    \
             default-server inter 300ms fastinter 200ms downinter 300ms fall 2 rise 2\n"
        );
        for (index, replica) in replicas.iter().enumerate() {
            config.push_str(&format!(
                "    server replica{index} 127.0.0.1:{replica} check\n"
            ));
        }
        let path = directory.join("haproxy.cfg");
        std::fs::write(&path, config).unwrap();
        let check = Command::new(&programs.haproxy)
            .arg("-c")
            .arg("-f")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "haproxy -c: {}",
            String::from_utf8_lossy(&check.stderr)
        );
        let log = directory.join("haproxy.log");
        let process = Process::spawn(
            Command::new(&programs.haproxy)
                .arg("-db")
                .arg("-f")
                .arg(&path)
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap()),
        );
        wait_until("haproxy listens", Duration::from_secs(30), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Self {
            port,
            log,
            _process: process,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The lines where a replica left or joined the rotation, and why.
    pub(crate) fn state_changes(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|line| line.contains(" is DOWN") || line.contains(" is UP"))
            .map(str::to_owned)
            .collect()
    }
}

/// How one replica runs: the same for all but the port.
#[derive(Clone)]
pub(crate) struct ReplicaSettings {
    pub(crate) database: String,
    pub(crate) redis: String,
    pub(crate) public_url: String,
    pub(crate) bot_api_url: String,
    pub(crate) oidc_provider_url: String,
    pub(crate) updates: &'static str,
    pub(crate) events_url: String,
    pub(crate) secrets: Vec<(&'static str, String)>,
    pub(crate) directory: PathBuf,
}

/// One `tgauth serve` process on a fixed port; restarted on the same port.
pub(crate) struct Replica {
    pub(crate) port: u16,
    settings: ReplicaSettings,
    process: Process,
    starts: usize,
}

impl Replica {
    pub(crate) fn start(settings: &ReplicaSettings, port: u16) -> Self {
        let process = Self::spawn(settings, port, 0);
        Self {
            port,
            settings: settings.clone(),
            process,
            starts: 1,
        }
    }

    fn spawn(settings: &ReplicaSettings, port: u16, starts: usize) -> Process {
        let data = settings.directory.join(format!("replica-{port}"));
        std::fs::create_dir_all(&data).unwrap();
        let log = std::fs::File::create(data.join(format!("log-{starts}.json"))).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_tgauth"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("TGAUTH_LOG", "warn")
            .args(["serve", "--log-format", "json"])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--database", &settings.database])
            .args(["--redis", &settings.redis])
            .args(["--public-url", &settings.public_url])
            .args(["--bot-api-url", &settings.bot_api_url])
            .args(["--oidc-provider-url", &settings.oidc_provider_url])
            .args(["--updates", settings.updates])
            .args(["--events-url", &settings.events_url])
            .args(["--login-rate-per-minute", "1000000"])
            .args(["--trust-forwarded-for", "true"])
            .arg("--data")
            .arg(&data)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        for (name, value) in &settings.secrets {
            command.env(name, value);
        }
        let process = Process::spawn(&mut command);
        wait_until(
            &format!("replica on port {port} ready"),
            Duration::from_secs(60),
            || http_status(port, "/readyz") == Some(200),
        );
        process
    }

    /// SIGKILL.
    pub(crate) fn kill(&mut self) {
        self.process.kill();
    }

    /// SIGTERM; the exit status.
    pub(crate) fn terminate(&mut self) -> std::process::ExitStatus {
        self.process.terminate()
    }

    /// Starts it again on its port.
    pub(crate) fn restart(&mut self) {
        self.process = Self::spawn(&self.settings, self.port, self.starts);
        self.starts += 1;
    }

    /// Its resident memory in MiB, while it runs.
    pub(crate) fn resident_mib(&self) -> Option<f64> {
        self.process.resident_mib()
    }

    /// The value of its Prometheus series `series` (`name` or `name{label="value"}`), if it
    /// answers (0 for a series it has not created yet).
    pub(crate) fn metric(&self, series: &str) -> Option<f64> {
        let body = http_get(self.port, "/metrics")?;
        Some(
            body.lines()
                .filter_map(|line| line.split_once(' '))
                .find(|(name, _)| *name == series)
                .and_then(|(_, value)| value.trim().parse().ok())
                .unwrap_or(0.0),
        )
    }
}

/// `GET path` on a loopback port with a plain blocking HTTP/1.0 request: the status.
pub(crate) fn http_status(port: u16, path: &str) -> Option<u16> {
    let answer = http_raw(port, path)?;
    answer.get(9..12)?.parse().ok()
}

/// `GET path`: the body of a 200.
pub(crate) fn http_get(port: u16, path: &str) -> Option<String> {
    match http_answer(port, path)? {
        (200, body) => Some(body),
        _ => None,
    }
}

/// `GET path`: the status and the body.
pub(crate) fn http_answer(port: u16, path: &str) -> Option<(u16, String)> {
    let answer = http_raw(port, path)?;
    let status = answer.get(9..12)?.parse().ok()?;
    let (_, body) = answer.split_once("\r\n\r\n")?;
    Some((status, body.to_owned()))
}

fn http_raw(port: u16, path: &str) -> Option<String> {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    Some(answer)
}
