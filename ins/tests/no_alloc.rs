//! Matricule validation allocates nothing: checked with a counting global allocator.

#![allow(clippy::unwrap_used, unsafe_code)] // a counting allocator needs unsafe

use segur_ins::Matricule;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;
thread_local! {
    // Per thread, so the test harness's own threads cannot disturb the count.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn parse_and_key_computation_do_not_allocate() {
    let inputs = [
        "180032B02040123",
        "1 80 03 2B 020 401",
        "187127644708044",
        "253072C07300443",
        "x",
    ];
    let before = ALLOCATIONS.with(Cell::get);
    let mut ok = 0;
    for _ in 0..1000 {
        for i in inputs {
            ok += usize::from(Matricule::parse(i).is_ok());
            let _ = Matricule::compute_key("1800320204012");
        }
    }
    let after = ALLOCATIONS.with(Cell::get);
    assert_eq!(ok, 2000);
    assert_eq!(after - before, 0, "validation allocated");
    // the counter does see allocations on this thread
    let s = std::hint::black_box(String::from("allocates"));
    assert!(ALLOCATIONS.with(Cell::get) > after, "{s}");
}
