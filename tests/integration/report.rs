//! `--report FILE.html`: the page's numbers are the run's, it is self-contained, and, in a real
//! headless browser (Chromium, which `.ci/run` installs with a CJK font), it loads without
//! console errors and each chart draws something.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::*;

/// The inputs: English and Chinese text (the shared corpora, or the fixtures without them).
fn inputs() -> Vec<PathBuf> {
    let shared: Vec<PathBuf> = ["kjv.txt", "zh-modern-1mb.txt"].iter().filter_map(|n| shared_corpus(n)).collect();
    if shared.len() == 2 {
        shared
    } else {
        skip("the shared corpora are absent: the report test uses the fixtures");
        vec![fixture("sample.txt"), fixture("multilingual.txt")]
    }
}

/// Values of `attr="..."` in the page, in order.
fn attr_values<'a>(page: &'a str, attr: &str) -> Vec<&'a str> {
    let key = format!("{attr}=\"");
    page.match_indices(&key)
        .map(|(at, _)| &page[at + key.len()..])
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect()
}

#[test]
fn the_report_shows_the_runs_own_numbers_and_needs_no_network() {
    let t = TestDir::new();
    let run = t.cmd().args(["--report", "r.html", "-o", "out.tsv", "--stats-json", "s.json"]).args(inputs()).output();
    run.assert_code(0);
    let page = std::fs::read_to_string(t.join("r.html")).unwrap();
    let out = std::fs::read_to_string(t.join("out.tsv")).unwrap();
    // The top table is the output's head.
    let words = attr_values(&page, "data-word");
    let counts = attr_values(&page, "data-count");
    assert_eq!(words.len(), 25);
    for ((line, word), count) in out.lines().zip(&words).zip(&counts) {
        assert_eq!(line, format!("{word}\t{count}"));
    }
    if cfg!(feature = "segment-zh") {
        assert!(
            words.iter().any(|w| w.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))),
            "no Han word: {words:?}"
        );
    }
    // The counters are the run's.
    let stats: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(t.join("s.json")).unwrap()).unwrap();
    let keys = attr_values(&page, "data-counter");
    let values = attr_values(&page, "data-value");
    // Every counter but failed attempts (procs only) and undecodable sequences (--encoding only).
    assert_eq!(keys.len(), 13);
    for (key, value) in keys.iter().zip(&values) {
        assert_eq!(stats[key].as_u64().unwrap().to_string(), *value, "{key}");
    }
    // Token lengths add up to the tokens counted.
    let tokens: u64 = attr_values(&page, "data-tokens").iter().map(|v| v.parse::<u64>().unwrap()).sum();
    assert_eq!(tokens, stats["map_output_records"].as_u64().unwrap());
    let zipf: f64 = attr_values(&page, "data-zipf")[0].parse().unwrap();
    assert!((0.5..2.0).contains(&zipf), "Zipf exponent {zipf}");
    // Nothing is fetched: no URL, no external resource.
    for needle in ["http:", "https:", "src=", "href=", "url(", "@import", "<script"] {
        assert!(!page.contains(needle), "the page holds {needle}");
    }
    // Without --by-file or --df there is no per-file section; with it there is.
    assert!(!page.contains("id=\"files\""));
    let by_file = t.cmd().args(["--by-file", "--report", "f.html", "-o", "f.tsv"]).args(inputs()).output();
    by_file.assert_code(0);
    let page = std::fs::read_to_string(t.join("f.html")).unwrap();
    assert!(page.contains("id=\"files\""));
}

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// Runs headless Chromium on `url` with `args`; returns its stdout and stderr.
fn browse(chromium: &Path, profile: &Path, args: &[&str], url: &str) -> (String, String) {
    let out = Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--enable-logging=stderr", "--v=0", "--window-size=1000,800"])
        .args(args)
        .arg(url)
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Pixels of a screenshot that are not white.
fn drawn_pixels(png_path: &Path) -> usize {
    let decoder = png::Decoder::new(std::fs::File::open(png_path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    buf[..info.buffer_size()].chunks(channels).filter(|px| px.iter().take(3).any(|&v| v < 200)).count()
}

#[test]
fn a_headless_browser_loads_the_report_and_draws_every_chart() {
    let Some(chromium) = chromium() else {
        skip("chromium is not installed (bash .ci/run installs it): the report was not tried in a browser");
        return;
    };
    let t = TestDir::new();
    let run = t.cmd().args(["--by-file", "--report", "r.html", "-o", "out.tsv"]).args(inputs()).output();
    run.assert_code(0);
    let url = format!("file://{}", t.join("r.html").display());
    let profile = t.join("profile");
    let (dom, stderr) = browse(&chromium, &profile, &["--dump-dom"], &url);
    let console: Vec<&str> = stderr.lines().filter(|l| l.contains("CONSOLE") || l.contains("Uncaught")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    let mut drawn = Vec::new();
    for chart in ["counters", "top", "zipf", "lengths", "files"] {
        // A missing section would leave the whole page on screen, which is not blank either.
        assert!(dom.contains(&format!("<section id=\"{chart}\">")), "{chart}: not in the page the browser built");
        let shot = t.join(&format!("{chart}.png"));
        browse(&chromium, &profile, &[&format!("--screenshot={}", shot.display())], &format!("{url}#{chart}"));
        drawn.push((chart, drawn_pixels(&shot)));
    }
    // 1000 x 800 pixels; a chart draws at least a few thousand of them, a blank page none.
    for (chart, pixels) in &drawn {
        assert!(*pixels > 3000, "{chart}: only {pixels} pixels drawn ({drawn:?})");
    }
}
