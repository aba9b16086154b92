//! A throw-away etcd cluster on 127.0.0.1 for tests (Debian's etcd-server): members can be
//! killed and restarted to exercise the metadata store's behaviour without quorum. Members
//! are killed when the thread that started them ends.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct EtcdCluster {
    dir: PathBuf,
    members: Vec<Member>,
    initial: String,
}

struct Member {
    name: String,
    client: u16,
    peer: u16,
    child: Option<Child>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0)
}

impl EtcdCluster {
    /// Starts `n` members with data under `dir`; waits until every member answers.
    pub fn start(dir: &Path, n: usize) -> std::io::Result<EtcdCluster> {
        std::fs::create_dir_all(dir)?;
        let members: Vec<Member> = (0..n)
            .map(|i| Member { name: format!("m{i}"), client: free_port(), peer: free_port(), child: None })
            .collect();
        let initial =
            members.iter().map(|m| format!("{}=http://127.0.0.1:{}", m.name, m.peer)).collect::<Vec<_>>().join(",");
        let mut c = EtcdCluster { dir: dir.to_path_buf(), members, initial };
        for i in 0..n {
            c.spawn(i)?;
        }
        c.wait_ready(Duration::from_secs(30))?;
        Ok(c)
    }

    fn spawn(&mut self, i: usize) -> std::io::Result<()> {
        let m = &self.members[i];
        let data = self.dir.join(&m.name);
        let log = std::fs::File::create(self.dir.join(format!("{}.log", m.name)))?;
        let mut cmd = Command::new("etcd");
        // SAFETY: the closure runs in the forked child before exec and only calls prctl, which
        // is async-signal-safe. Members die with the thread that started them, so a test
        // process that ends (or is killed) never leaves a cluster behind.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = cmd
            .args(["--name", &m.name, "--data-dir"])
            .arg(&data)
            .args(["--listen-client-urls", &format!("http://127.0.0.1:{}", m.client)])
            .args(["--advertise-client-urls", &format!("http://127.0.0.1:{}", m.client)])
            .args(["--listen-peer-urls", &format!("http://127.0.0.1:{}", m.peer)])
            .args(["--initial-advertise-peer-urls", &format!("http://127.0.0.1:{}", m.peer)])
            .args(["--initial-cluster", &self.initial, "--initial-cluster-state", "new"])
            .args([
                "--initial-cluster-token",
                "rbdshim-test",
                "--heartbeat-interval",
                "50",
                "--election-timeout",
                "500",
            ])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()?;
        self.members[i].child = Some(child);
        Ok(())
    }

    /// `host:port` of every member, comma-separated (the `etcd=` option of a curve spec).
    pub fn endpoints(&self) -> String {
        self.members.iter().map(|m| format!("127.0.0.1:{}", m.client)).collect::<Vec<_>>().join(",")
    }

    fn wait_ready(&self, limit: Duration) -> std::io::Result<()> {
        let start = Instant::now();
        loop {
            let ok = Command::new("etcdctl")
                .env("ETCDCTL_API", "3")
                .args(["--endpoints", &self.endpoints(), "endpoint", "health", "--command-timeout=2s"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ok {
                return Ok(());
            }
            if start.elapsed() > limit {
                return Err(std::io::Error::other("etcd cluster did not come up"));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Kills member `i` with SIGKILL.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.members[i].child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts member `i` again on its data.
    pub fn restart(&mut self, i: usize) -> std::io::Result<()> {
        if self.members[i].child.is_none() {
            self.spawn(i)?;
        }
        Ok(())
    }
}

impl Drop for EtcdCluster {
    fn drop(&mut self) {
        for i in 0..self.members.len() {
            self.kill(i);
        }
    }
}
