//! `-r local`: the whole job on the calling thread, tasks in order. The reference runner: the
//! simplest schedule, used to check the others, and the cheapest for tiny inputs.

use crate::runner::Executor;

#[derive(Debug, Default, Clone, Copy)]
pub struct Local;

impl Executor for Local {
    fn workers(&self) -> usize {
        1
    }

    fn broadcast<R: Send>(&self, work: &(dyn Fn(usize) -> R + Sync)) -> Vec<R> {
        vec![work(0)]
    }

    fn map_each<I: Send, O: Send>(&self, items: Vec<I>, f: &(dyn Fn(I) -> O + Sync)) -> Vec<O> {
        items.into_iter().map(f).collect()
    }

    fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        f()
    }
}
