//! `-r threads` (the default): a rayon pool of `-j N` threads. Every thread is a map worker
//! pulling tasks from the shared splitter; reduce runs one partition per rayon task; the final
//! sort runs in the same pool. The pool is the job's own, so `-j` is exact.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::runner::Executor;

pub struct Threads {
    pool: rayon::ThreadPool,
}

impl Threads {
    pub fn new(threads: usize) -> Result<Threads> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("mrwc-worker-{i}"))
            .build()
            .map_err(|e| Error::Usage(format!("cannot start {threads} worker threads: {e}")))?;
        Ok(Threads { pool })
    }
}

impl Executor for Threads {
    fn workers(&self) -> usize {
        self.pool.current_num_threads()
    }

    fn broadcast<R: Send>(&self, work: &(dyn Fn(usize) -> R + Sync)) -> Vec<R> {
        self.pool.broadcast(|ctx| work(ctx.index()))
    }

    fn map_each<I: Send, O: Send>(&self, items: Vec<I>, f: &(dyn Fn(I) -> O + Sync)) -> Vec<O> {
        self.pool.install(|| items.into_par_iter().map(f).collect())
    }

    fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        self.pool.install(f)
    }
}
