//! Walking a directory tree into sources.
//!
//! The order is deterministic: entries are visited depth-first in byte order of their names, so
//! the same tree gives the same task list on every run. Hidden files are included (a word
//! counter has no reason to skip them). Symlinks met during the walk are skipped unless
//! `--follow`; with it, loops are detected and reported. Only regular files are taken from a
//! walk: a FIFO or a device inside a tree would block or never end, so such entries are skipped.

use std::path::Path;

use walkdir::WalkDir;

use crate::error::{io_reason, quote_path};
use crate::input::{add_file, Plan};

pub(super) fn walk_dir(root: &Path, follow: bool, plan: &mut Plan) {
    let walker = WalkDir::new(root).follow_links(follow).sort_by_file_name();
    for entry in walker {
        match entry {
            Ok(entry) if entry.file_type().is_file() => match entry.metadata() {
                Ok(meta) => add_file(entry.path(), &meta, plan),
                Err(e) => plan.errors.push(walk_error(entry.path(), &e)),
            },
            Ok(_) => {}
            Err(e) => {
                let path = e.path().unwrap_or(root).to_path_buf();
                plan.errors.push(walk_error(&path, &e));
            }
        }
    }
}

fn walk_error(path: &Path, err: &walkdir::Error) -> String {
    let reason = match (err.loop_ancestor(), err.io_error()) {
        (Some(ancestor), _) => format!("File system loop found: links back to {}", quote_path(ancestor)),
        (None, Some(io)) => io_reason(io),
        (None, None) => err.to_string(),
    };
    format!("{}: {reason}", quote_path(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::InputArg;
    use crate::input::{plan, WalkOptions};
    use std::fs;

    fn names(plan: &Plan, root: &Path) -> Vec<String> {
        let strip = |s: &crate::input::Source| {
            let p = s.path.as_ref().unwrap();
            p.strip_prefix(root).unwrap().to_string_lossy().into_owned()
        };
        plan.sources.iter().map(strip).collect()
    }

    #[test]
    fn walk_is_sorted_recursive_and_includes_hidden_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("b/sub")).unwrap();
        for f in ["z.txt", "a.txt", ".hidden", "b/sub/deep.txt", "b/c.txt"] {
            fs::write(root.join(f), "x").unwrap();
        }
        let p = plan(&[InputArg::Path(root.into())], WalkOptions { recursive: true, follow: false, urls: false });
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(names(&p, root), [".hidden", "a.txt", "b/c.txt", "b/sub/deep.txt", "z.txt"]);
    }

    #[test]
    fn symlinks_are_followed_only_with_follow_and_loops_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        fs::create_dir_all(root.join("d")).unwrap();
        fs::write(root.join("d/f.txt"), "x").unwrap();
        std::os::unix::fs::symlink(root.join("d/f.txt"), root.join("link.txt")).unwrap();
        std::os::unix::fs::symlink(&root, root.join("d/loop")).unwrap();
        let input = [InputArg::Path(root.clone())];
        let p = plan(&input, WalkOptions { recursive: true, follow: false, urls: false });
        assert_eq!(names(&p, &root), ["d/f.txt"]);
        assert!(p.errors.is_empty());
        let p = plan(&input, WalkOptions { recursive: true, follow: true, urls: false });
        assert_eq!(names(&p, &root), ["d/f.txt", "link.txt"]);
        assert_eq!(p.errors.len(), 1);
        assert!(p.errors[0].contains("File system loop found"), "{:?}", p.errors);
    }
}
