//! Prints the criterion results under `target/criterion` as a table: for every benchmark group,
//! each function's median time and its ratio to the group's `native` function, measured in the
//! same run.
//!
//! ```text
//! cargo bench -p anyio --all-features && cargo run -p bench-table
//! ```
//! An optional argument names another criterion directory.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::Value;

/// The function every other function in its group is compared with.
const BASELINE: &str = "native";

fn main() -> ExitCode {
    let root = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(default_root);
    let mut groups: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
    if let Err(error) = collect(&root, &mut groups) {
        eprintln!("bench-table: cannot read {}: {error}", root.display());
        eprintln!("run `cargo bench -p anyio --all-features` first");
        return ExitCode::FAILURE;
    }
    if groups.is_empty() {
        eprintln!("bench-table: no criterion results under {}", root.display());
        return ExitCode::FAILURE;
    }
    print_table(&groups);
    ExitCode::SUCCESS
}

/// `target/criterion` of this workspace, wherever the tool is run from.
fn default_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = manifest.ancestors().nth(2).unwrap_or(manifest);
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join("target"));
    target.join("criterion")
}

/// Walks `dir` for criterion's `new/benchmark.json` + `new/estimates.json` pairs.
fn collect(dir: &Path, groups: &mut BTreeMap<String, Vec<(String, f64)>>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|name| name == "new") {
            if let Some((group, function, median)) = read_result(&path) {
                groups.entry(group).or_default().push((function, median));
            }
        } else if path.file_name().is_none_or(|name| name != "report") {
            collect(&path, groups)?;
        }
    }
    Ok(())
}

/// One benchmark's group, function and median time in nanoseconds.
fn read_result(new_dir: &Path) -> Option<(String, String, f64)> {
    let read = |name: &str| -> Option<Value> {
        serde_json::from_str(&fs::read_to_string(new_dir.join(name)).ok()?).ok()
    };
    let benchmark = read("benchmark.json")?;
    let estimates = read("estimates.json")?;
    let group = benchmark.get("group_id")?.as_str()?.to_owned();
    let function = benchmark.get("function_id")?.as_str()?.to_owned();
    let median = estimates.get("median")?.get("point_estimate")?.as_f64()?;
    Some((group, function, median))
}

fn print_table(groups: &BTreeMap<String, Vec<(String, f64)>>) {
    println!(
        "| {:<28} | {:<24} | {:>12} | {:>9} |",
        "group", "function", "median", "× native"
    );
    println!("|{:-<30}|{:-<26}|{:->14}|{:->11}|", "", "", ":", ":");
    for (group, functions) in groups {
        let baseline = functions
            .iter()
            .find(|(name, _)| name == BASELINE)
            .map(|&(_, median)| median);
        let mut functions = functions.clone();
        // The baseline first, then the rest by name.
        functions.sort_by(|a, b| (a.0 != BASELINE, &a.0).cmp(&(b.0 != BASELINE, &b.0)));
        for (function, median) in functions {
            let ratio =
                baseline.map_or_else(|| "-".to_owned(), |base| format!("{:.2}", median / base));
            println!(
                "| {group:<28} | {function:<24} | {:>12} | {ratio:>9} |",
                human(median)
            );
        }
    }
}

/// A duration in nanoseconds, in a readable unit.
fn human(nanos: f64) -> String {
    if nanos < 1_000.0 {
        format!("{nanos:.1} ns")
    } else if nanos < 1_000_000.0 {
        format!("{:.2} µs", nanos / 1_000.0)
    } else {
        format!("{:.2} ms", nanos / 1_000_000.0)
    }
}
