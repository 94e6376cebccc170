//! SIGBUS from a mapped input that another process truncated: a message instead of "Bus error".
//!
//! Reading a page of a mapping past the file's new end raises SIGBUS. mrwc cannot count a file
//! that shrinks under it, but it can say so: every mapping registers its address range and a
//! prepared message here; the handler (async-signal-safe calls only: it reads atomics and calls
//! write, unlink, rmdir and _exit) finds the range holding the faulting address, writes
//! `mrwc: PATH: file changed while being read (use --no-mmap ...)`, removes the output's temp
//! paths registered with [`register_cleanup`], and exits with status 2 (an input error).
//!
//! Messages and cleanup paths are leaked on purpose: the handler may read them at any moment,
//! so they are never freed. There are at most `SLOTS` of each; past that, a mapping gets the
//! generic message.

use std::ffi::CString;
use std::path::Path;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::Once;

const SLOTS: usize = 64;
const GENERIC: &[u8] = b"mrwc: a mapped input file changed while being read (use --no-mmap to read it with read())\n";

struct Region {
    start: AtomicUsize,
    len: AtomicUsize,
    message: AtomicPtr<u8>,
    message_len: AtomicUsize,
}

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY_REGION: Region = Region {
    start: AtomicUsize::new(0),
    len: AtomicUsize::new(0),
    message: AtomicPtr::new(std::ptr::null_mut()),
    message_len: AtomicUsize::new(0),
};
static REGIONS: [Region; SLOTS] = [EMPTY_REGION; SLOTS];

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY_PATH: AtomicPtr<libc::c_char> = AtomicPtr::new(std::ptr::null_mut());
static CLEANUP: [AtomicPtr<libc::c_char>; SLOTS] = [EMPTY_PATH; SLOTS];

static INSTALL: Once = Once::new();

extern "C" fn on_sigbus(_: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: only async-signal-safe calls; `info` is valid for an SA_SIGINFO handler; message
    // and path pointers were leaked and are never freed.
    unsafe {
        let addr = (*info).si_addr() as usize;
        let mut message = GENERIC;
        for region in &REGIONS {
            let (start, len) = (region.start.load(Ordering::Acquire), region.len.load(Ordering::Acquire));
            let ptr = region.message.load(Ordering::Acquire);
            if start != 0 && addr >= start && addr < start + len && !ptr.is_null() {
                message = std::slice::from_raw_parts(ptr, region.message_len.load(Ordering::Acquire));
                break;
            }
        }
        libc::write(2, message.as_ptr().cast(), message.len());
        for path in &CLEANUP {
            let p = path.load(Ordering::Acquire);
            if !p.is_null() {
                libc::unlink(p);
                libc::rmdir(p);
            }
        }
        libc::_exit(2);
    }
}

fn install() {
    INSTALL.call_once(|| {
        // SAFETY: a plain sigaction installing a handler that only makes async-signal-safe calls.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigbus as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
        }
    });
}

/// A registered mapping; unregisters on drop.
pub struct Registration(Option<usize>);

/// Registers the mapping `[start, start+len)` of the input named `name`.
pub fn register(start: *const u8, len: usize, name: &str) -> Registration {
    install();
    let text = format!("mrwc: {name}: file changed while being read (use --no-mmap to read it with read())\n");
    for (i, region) in REGIONS.iter().enumerate() {
        if region.start.compare_exchange(0, usize::MAX, Ordering::AcqRel, Ordering::Acquire).is_ok() {
            let leaked: &'static mut [u8] = Box::leak(text.into_bytes().into_boxed_slice());
            region.message_len.store(leaked.len(), Ordering::Release);
            region.message.store(leaked.as_mut_ptr(), Ordering::Release);
            region.len.store(len, Ordering::Release);
            region.start.store(start as usize, Ordering::Release);
            return Registration(Some(i));
        }
    }
    Registration(None)
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(i) = self.0 {
            let region = &REGIONS[i];
            region.message.store(std::ptr::null_mut(), Ordering::Release);
            region.start.store(0, Ordering::Release);
        }
    }
}

/// Has the SIGBUS handler remove `path` (a file, or an empty directory) before exiting.
/// Directories must be registered after what they contain.
pub fn register_cleanup(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = CString::new(path.as_os_str().as_bytes()) else { return };
    let ptr = c.into_raw();
    for slot in &CLEANUP {
        if slot.compare_exchange(std::ptr::null_mut(), ptr, Ordering::AcqRel, Ordering::Acquire).is_ok() {
            return;
        }
    }
}

/// Forgets `path` (its owner committed or removed it).
pub fn unregister_cleanup(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    for slot in &CLEANUP {
        let p = slot.load(Ordering::Acquire);
        // SAFETY: non-null slot pointers are leaked NUL-terminated strings from CString::into_raw.
        if !p.is_null() && unsafe { std::ffi::CStr::from_ptr(p) }.to_bytes() == path.as_os_str().as_bytes() {
            slot.store(std::ptr::null_mut(), Ordering::Release);
        }
    }
}
