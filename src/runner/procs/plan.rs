//! Planning `-r procs`'s map tasks: the engine's splitter cuts the inputs, and each chunk
//! becomes a task a worker process can run on its own (a byte range of a file, or a file of its
//! own in the work directory).

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::interrupt;
use crate::runner::Job;
use crate::split::Splitter;
use crate::tokenize::Tokenizer;

use super::pool::Task;
use super::protocol::{Request, TaskId};

/// Cuts the inputs into map tasks with the engine's splitter. A mapped chunk becomes a byte
/// range of its file; a streamed chunk (stdin, a pipe, `--no-mmap`) is written to the work
/// directory first, since a worker cannot read the coordinator's stdin.
pub fn map_tasks<T: Tokenizer>(job: &Job, work: &Path, tokenizer: T) -> Result<Vec<Task>> {
    let boundary = job.map.boundary(tokenizer);
    let splitter =
        Splitter::new(&job.plan.sources, job.chunk_size, job.mmap, boundary.clone()).decoding(job.decoding.clone());
    let mut tasks = Vec::new();
    // `at` is where the task's bytes start in the source's text, for messages.
    let push = |tasks: &mut Vec<Task>, (source, name): (usize, &str), path: PathBuf, at: u64, start: u64, end: u64| {
        let task = tasks.len();
        tasks.push(Task {
            name: TaskId::Map(task).to_string(),
            input: format!("input {name} bytes {}..{}", at, at + end - start),
            request: Request::Map { task, attempt: 0, source, path, start, end },
        });
    };
    for chunk in splitter {
        let mut chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                job.on_error.handle(e)?;
                continue;
            }
        };
        let source = &job.plan.sources[chunk.source];
        if let (Some(range), Some(path)) = (chunk.mapped_range(), &source.path) {
            let (start, end) = (range.start as u64, range.end as u64);
            push(&mut tasks, (chunk.source, &source.name), path.clone(), start, start, end);
            continue;
        }
        // Streamed (or decompressed) text is written to the work directory, a file per task,
        // so that a retried attempt can read it again.
        let mut written = Ok(());
        let mut offset = 0u64;
        let index = chunk.source;
        let read = chunk.for_each_piece(job.chunk_size, &boundary, |piece| {
            if written.is_err() {
                return;
            }
            let path = work.join(format!("input-{:05}", tasks.len()));
            written = interrupt::creating(|| fs::write(&path, piece)).map_err(|e| Error::temp_dir(&path, &e));
            let len = piece.len() as u64;
            push(&mut tasks, (index, &source.name), path, offset, 0, len);
            offset += len;
        });
        written?;
        if let Err(e) = read {
            job.on_error.handle(Error::input(&source.name, &e))?;
        }
    }
    Ok(tasks)
}
