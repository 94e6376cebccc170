//! `-r threads` (the default): a rayon pool of `-j N` threads. Every thread is a map worker
//! pulling tasks from the shared splitter; reduce runs one partition per rayon task; the final
//! sort runs in the same pool. The pool is the job's own, so `-j` is exact.
//!
//! With one worker (`-j 1`, or an input too small to split, see [`super::Runner::new`]) there
//! is no pool: the job runs on the calling thread, as `-r local` does, without the cost of
//! starting and waking a thread.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::runner::{Executor, Local};

pub struct Threads {
    /// `None`: one worker, the calling thread.
    pool: Option<rayon::ThreadPool>,
}

impl Threads {
    pub fn new(threads: usize) -> Result<Threads> {
        if threads <= 1 {
            return Ok(Threads { pool: None });
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("mrwc-worker-{i}"))
            .build()
            .map_err(|e| Error::Usage(format!("cannot start {threads} worker threads: {e}")))?;
        Ok(Threads { pool: Some(pool) })
    }
}

impl Executor for Threads {
    fn workers(&self) -> usize {
        self.pool.as_ref().map_or(1, |p| p.current_num_threads())
    }

    fn broadcast<R: Send>(&self, work: &(dyn Fn(usize) -> R + Sync)) -> Vec<R> {
        match &self.pool {
            Some(pool) => pool.broadcast(|ctx| work(ctx.index())),
            None => Local.broadcast(work),
        }
    }

    fn map_each<I: Send, O: Send>(&self, items: Vec<I>, f: &(dyn Fn(I) -> O + Sync)) -> Vec<O> {
        match &self.pool {
            Some(pool) => pool.install(|| items.into_par_iter().map(f).collect()),
            None => Local.map_each(items, f),
        }
    }

    fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        match &self.pool {
            Some(pool) => pool.install(f),
            None => f(),
        }
    }
}
