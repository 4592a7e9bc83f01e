//! The threads that hash passwords.

use std::sync::Mutex;

use crate::error::Error;
use crate::sync::lock;

/// Runs argon2 work (each call allocates its memory cost, 19 MiB) on a few threads of its own,
/// at most one per core, started on first use. The allocator keeps a thread's freed memory for
/// that thread, so hashing on whichever blocking thread is free would leave 19 MiB behind on
/// each of them; on a fixed pool, memory stays near threads x cost, and a burst of logins queues.
struct Pool {
    jobs: Mutex<std::sync::mpsc::Sender<Job>>,
}

type Job = Box<dyn FnOnce() + Send>;

fn pool() -> &'static Pool {
    static POOL: std::sync::OnceLock<Pool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel::<Job>();
        let receiver = std::sync::Arc::new(Mutex::new(receiver));
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        for i in 0..threads {
            let receiver = std::sync::Arc::clone(&receiver);
            let spawned = std::thread::Builder::new()
                .name(format!("dynlog-argon2-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next job.
                        let job = lock(&receiver).recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                log::error!(target: "dynlog::admin", "starting a password hashing thread: {e}");
            }
        }
        Pool {
            jobs: Mutex::new(sender),
        }
    })
}

/// Runs `f` on the hashing pool and waits for it (for callers off the async workers).
pub(super) fn hashing<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Error> {
    let (done, result) = std::sync::mpsc::sync_channel(1);
    submit(Box::new(move || {
        let _ = done.send(f());
    }))?;
    result.recv().map_err(|_| pool_gone())
}

/// Runs `f` on the hashing pool without holding an async worker.
pub(crate) async fn hashing_async<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Error> {
    let (done, result) = tokio::sync::oneshot::channel();
    submit(Box::new(move || {
        let _ = done.send(f());
    }))?;
    result.await.map_err(|_| pool_gone())
}

fn submit(job: Job) -> Result<(), Error> {
    lock(&pool().jobs).send(job).map_err(|_| pool_gone())
}

fn pool_gone() -> Error {
    Error::Hashing("the password hashing threads are not running".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_pool_runs_at_most_one_hash_per_core() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let most = std::thread::available_parallelism().map_or(2, |n| n.get());
        let now = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        std::thread::scope(|scope| {
            for _ in 0..most * 3 {
                let (now, peak) = (Arc::clone(&now), Arc::clone(&peak));
                scope.spawn(move || {
                    hashing(move || {
                        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(n, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(20));
                        now.fetch_sub(1, Ordering::SeqCst);
                        std::thread::current().name().map(str::to_string)
                    })
                    .unwrap()
                    .unwrap()
                    .starts_with("dynlog-argon2-")
                    .then_some(())
                    .unwrap();
                });
            }
        });
        let peak = peak.load(Ordering::SeqCst);
        assert!(peak >= 1 && peak <= most, "{peak} at once, {most} cores");
    }
}
