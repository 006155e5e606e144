//! A throwaway Postgres 15 server for the replica tests and the load benchmark (which includes this file):
//! Debian's binaries, a new data directory in a temporary folder, a free loopback port, stopped when
//! dropped. As root (CI), the server runs as the `postgres` user, since Postgres refuses to run as root.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian puts PostgreSQL 15's server programs.
pub const BIN: &str = "/usr/lib/postgresql/15/bin";

/// Whether PostgreSQL 15's server is installed (Debian's `postgresql-15`).
pub fn installed() -> bool {
    PathBuf::from(BIN).join("initdb").is_file()
}

/// A running server.
pub struct Postgres {
    folder: tempfile::TempDir,
    /// The loopback port it listens on.
    pub port: u16,
    server: Option<Child>,
}

fn as_server_user(program: &Path) -> Command {
    let root =
        Command::new("id").arg("-u").output().is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0");
    if root {
        // setpriv execs the program itself, so the child is the server and can be signalled directly.
        let mut command = Command::new("setpriv");
        command.args(["--reuid=postgres", "--regid=postgres", "--clear-groups", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

impl Postgres {
    /// Initialises and starts a server with an empty database `herald` (see [`installed`]).
    pub fn start() -> Postgres {
        let initdb = PathBuf::from(BIN).join("initdb");
        let folder = tempfile::tempdir().expect("temp dir");
        let status = Command::new("chmod").arg("777").arg(folder.path()).status().expect("chmod runs");
        assert!(status.success());
        let data = folder.path().join("data");
        let output = as_server_user(&initdb)
            .args(["-A", "trust", "-U", "herald", "-E", "UTF8", "--no-sync", "-D"])
            .arg(&data)
            .output()
            .expect("initdb runs");
        assert!(output.status.success(), "initdb failed: {}", String::from_utf8_lossy(&output.stderr));
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let mut postgres = Postgres { folder, port, server: None };
        postgres.resume();
        let output = Command::new("psql")
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "herald", "-d", "postgres", "-c"])
            .arg("CREATE DATABASE herald")
            .output()
            .expect("psql runs");
        assert!(output.status.success(), "creating the database: {}", String::from_utf8_lossy(&output.stderr));
        postgres
    }

    /// Runs SQL in the `herald` database (as a test's way to reach behind Herald's back).
    pub fn sql(&self, statement: &str) -> String {
        let output = Command::new("psql")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "herald", "-d", "herald", "-At", "-c"])
            .arg(statement)
            .output()
            .expect("psql runs");
        assert!(output.status.success(), "{statement}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    /// The URL Herald connects to.
    pub fn url(&self) -> String {
        format!("postgres://herald@127.0.0.1:{}/herald", self.port)
    }

    /// Starts the server again (after [`Postgres::stop`]) on the same data and port, and waits until it
    /// takes connections.
    pub fn resume(&mut self) {
        let data = self.folder.path().join("data");
        let server = as_server_user(&PathBuf::from(BIN).join("postgres"))
            .arg("-D")
            .arg(&data)
            .args(["-p", &self.port.to_string(), "-k"])
            .arg(self.folder.path())
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=100"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("postgres starts");
        self.server = Some(server);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = Command::new(PathBuf::from(BIN).join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"])
                .status()
                .is_ok_and(|status| status.success());
            if ready {
                return;
            }
            assert!(Instant::now() < deadline, "postgres did not start on port {}", self.port);
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the server at once (an outage, as the replicas see it).
    pub fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            // SIGQUIT: immediate shutdown; the children go with the postmaster.
            let _ = Command::new("kill").args(["-QUIT", &server.id().to_string()]).status();
            let _ = server.wait();
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}
