//! The `pbrsim` command. A thin shell over the library: parse arguments, call the
//! library, show progress, map errors to exit codes.

mod cli;

/// mimalloc rather than the system allocator: it asks the kernel for transparent huge
/// pages (`MADV_HUGEPAGE`), which Linux's default `madvise` mode waits for. A large
/// economy touches a few hundred MiB in time order, not memory order; with 4 KiB pages
/// nearly every such access also misses the TLB (England 1×: 12% faster with it;
/// docs/performance.md, "Huge pages"). The library leaves the choice to its users.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(cli::main());
}
