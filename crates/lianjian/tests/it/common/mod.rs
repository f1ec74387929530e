//! Starting the real binary for end-to-end and browser tests.

#![allow(dead_code)]

pub mod browser;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_lianjian")
}

/// The working folder of every process a test starts: defaults such as
/// `lianjian-data/evidence` are relative, and must never land in the source tree.
pub fn work_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join("lianjian-test-cwd");
    std::fs::create_dir_all(&d).expect("test working folder");
    d
}

/// A running `lianjian` process, killed on drop.
pub struct Running {
    pub child: Child,
    pub base: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `lianjian ARGS` and waits for the line naming its URL (`http://127.0.0.1:PORT`).
pub fn start(args: &[&str]) -> Running {
    let mut child = Command::new(bin())
        .current_dir(work_dir())
        .args(args)
        .env_remove("LIANJIAN_DATABASE_URL")
        .env_remove("LIANJIAN_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start lianjian");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(i) = line.find("http://") {
                let url: String = line[i..]
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .collect();
                let base = url.trim_end_matches('/').to_string();
                let _ = tx.send(base);
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("lianjian printed its URL");
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(
            base.trim_start_matches("http://")
                .split('/')
                .next()
                .unwrap(),
        )
        .is_ok()
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Running { child, base }
}

pub fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("lianjian-{tag}-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs `lianjian ARGS` to completion: (exit code, stdout, stderr).
pub fn run(args: &[&str], envs: &[(&str, &str)]) -> (i32, String, String) {
    let mut c = Command::new(bin());
    c.current_dir(work_dir());
    c.args(args)
        .env_remove("LIANJIAN_DATABASE_URL")
        .env_remove("LIANJIAN_CONFIG");
    for (k, v) in envs {
        c.env(k, v);
    }
    let out = c.output().expect("run lianjian");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}
