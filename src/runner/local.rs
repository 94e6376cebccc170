//! `-r local`: the whole job on the calling thread, tasks in order. The reference runner: the
//! simplest schedule, used to check the others, and the cheapest for tiny inputs. It is the
//! in-process schedule of `threads` with no pool.

use crate::runner::threads::InProcess;
use crate::runner::Registration;

pub const RUNNER: Registration = Registration {
    name: "local",
    about: "one thread, tasks in order",
    in_process: true,
    chunk_size: 1 << 20,
    urls: false,
    single: true,
    build: |_| Ok(Box::new(InProcess::new(1)?)),
};
