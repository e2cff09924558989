#!/bin/sh
# The RUSTC_WRAPPER of the fuzz build (`tests/fuzz.rs` sets it): adds libFuzzer's coverage
# instrumentation to the crates being fuzzed, `wharf` and `wharf-fuzz`, and to nothing else.
# Instrumenting every dependency (wasmtime, cranelift, SQLite's bindings) would slow the build
# and the fuzzer for edges no parser reaches. These are the flags cargo-fuzz passes, all stable
# rustc options: the coverage comes from LLVM's sancov pass, not from a nightly sanitizer.
rustc="$1"
shift
case "$CARGO_PKG_NAME" in
wharf | wharf-fuzz)
    case " $* " in
    # A build script runs at build time, without libFuzzer to define the counters.
    *" --crate-name build_script_"*) ;;
    *)
        exec "$rustc" "$@" \
            -Cpasses=sancov-module \
            -Cllvm-args=-sanitizer-coverage-level=3 \
            -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
            -Cllvm-args=-sanitizer-coverage-pc-table \
            -Cllvm-args=-sanitizer-coverage-trace-compares \
            -Cllvm-args=-sanitizer-coverage-stack-depth \
            --cfg fuzzing
        ;;
    esac
    ;;
esac
exec "$rustc" "$@"
