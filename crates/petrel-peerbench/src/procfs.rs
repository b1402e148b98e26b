//! What the kernel says about a server: the CPU time and resident memory of its whole process
//! tree (RabbitMQ is a wrapper script, an Erlang VM and helpers), read from `/proc`.

use std::fs;

/// CPU time and memory of a process tree at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TreeSample {
    /// User plus system time of every live process of the tree, in clock ticks, plus the
    /// time of their children that already exited.
    pub cpu_ticks: u64,
    /// The sum of the tree's resident set sizes, in bytes.
    pub rss_bytes: u64,
}

/// The kernel's clock ticks per second (`getconf CLK_TCK`; 100 on Linux when it cannot be
/// asked).
pub fn clock_ticks() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|&t| t > 0)
        .unwrap_or(100)
}

/// The fields of `/proc/<pid>/stat` after the command name (which may hold spaces): index 0
/// is the state, 1 the parent pid, 11 utime, 12 stime, 13 cutime, 14 cstime.
fn stat_fields(pid: u32) -> Option<Vec<u64>> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    Some(
        rest.split_whitespace()
            .map(|f| {
                f.parse::<i64>()
                    .map_or(0, |v| u64::try_from(v).unwrap_or(0))
            })
            .collect(),
    )
}

/// Every process id now.
pub fn pids() -> Vec<u32> {
    fs::read_dir("/proc")
        .map(|dir| {
            dir.flatten()
                .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
                .collect()
        })
        .unwrap_or_default()
}

/// `pid` and every process descended from it.
pub fn tree(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = pids()
        .into_iter()
        .filter_map(|pid| {
            let parent = stat_fields(pid)?.get(1).copied().unwrap_or(0);
            Some((pid, u32::try_from(parent).unwrap_or(0)))
        })
        .collect();
    let mut out = vec![root];
    let mut at = 0;
    while at < out.len() {
        let parent = out[at];
        out.extend(
            parents
                .iter()
                .filter(|&&(_, pp)| pp == parent)
                .map(|&(p, _)| p),
        );
        at += 1;
    }
    out
}

/// Resident memory of one process in bytes (`VmRSS`), 0 when it is gone.
pub fn rss_bytes(pid: u32) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// CPU ticks of one process: its own and its exited children's.
pub fn cpu_ticks(pid: u32) -> u64 {
    stat_fields(pid).map_or(0, |f| f.iter().skip(11).take(4).sum())
}

/// CPU and memory of `root`'s whole tree now.
pub fn sample_tree(root: u32) -> TreeSample {
    tree(root)
        .into_iter()
        .fold(TreeSample::default(), |acc, pid| TreeSample {
            cpu_ticks: acc.cpu_ticks + cpu_ticks(pid),
            rss_bytes: acc.rss_bytes + rss_bytes(pid),
        })
}

/// The CPUs this process may run on (`Cpus_allowed_list`), as the kernel prints them.
pub fn allowed_cpus() -> String {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
                .map(|v| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_child_is_in_our_tree_with_memory_and_cpu() {
        let mut child = std::process::Command::new("sh")
            .args([
                "-c",
                "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 5",
            ])
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let me = std::process::id();
        assert!(tree(me).contains(&child.id()));
        let s = sample_tree(child.id());
        assert!(s.rss_bytes > 0);
        assert!(s.cpu_ticks > 0, "the shell loop used no cpu: {s:?}");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    #[test]
    fn a_gone_process_has_no_memory() {
        assert_eq!(rss_bytes(u32::MAX), 0);
        assert_eq!(cpu_ticks(u32::MAX), 0);
    }
}
