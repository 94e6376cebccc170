//! The report page: one HTML document with inline SVG charts, a stylesheet and no script.
//!
//! Each chart is a `<section>` with an id (`counters`, `top`, `zipf`, `lengths`, `files`);
//! opening the page at `#id` shows that section alone (CSS `:target`), which is how a browser
//! takes a screenshot of one chart. Numbers shown as text carry their exact value in a
//! `data-` attribute, so a test can read them back.

use std::fmt::Write as _;

use super::{Summary, LONGEST};
use crate::counters::{group_digits, Counters};

/// System fonts only (the page must work offline), with the CJK families of Linux, macOS and
/// Windows before the generic fallback, so that Chinese and Japanese words render as text.
const FONTS: &str = "system-ui, -apple-system, \"Segoe UI\", \"Noto Sans\", \"Noto Sans CJK SC\", \
    \"Noto Sans CJK JP\", \"Noto Sans CJK TC\", \"Source Han Sans SC\", \"PingFang SC\", \"Hiragino Sans\", \
    \"Microsoft YaHei\", \"WenQuanYi Micro Hei\", sans-serif";

const WIDTH: f64 = 900.0;
const BAR: &str = "#4c78a8";
const ACCENT: &str = "#e45756";

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

pub fn page(s: &Summary, c: &Counters, title: &str) -> String {
    let mut p = String::new();
    let _ = write!(
        p,
        "<!DOCTYPE html>\n<html lang=\"und\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>mrwc report: {title}</title>\n<style>\n\
         :root {{ font-family: {FONTS}; color: #222; background: #fff; }}\n\
         body {{ max-width: 960px; margin: 24px auto; padding: 0 16px; }}\n\
         h1 {{ font-size: 22px; }} h2 {{ font-size: 18px; margin-bottom: 8px; }}\n\
         section {{ margin: 28px 0; }}\n\
         svg {{ display: block; }} svg text {{ font-family: {FONTS}; font-size: 12px; fill: #222; }}\n\
         table {{ border-collapse: collapse; font-variant-numeric: tabular-nums; }}\n\
         td, th {{ padding: 2px 12px 2px 0; text-align: right; }} td.text, th.text {{ text-align: left; }}\n\
         body:has(section:target) section:not(:target), body:has(section:target) header {{ display: none; }}\n\
         </style></head>\n<body>\n<header><h1>mrwc report</h1>\
         <p>{title}. {tokens} tokens, {distinct} distinct words. mrwc {version}, runner {runner}.</p></header>\n",
        title = escape(title),
        tokens = group_digits(s.tokens),
        distinct = group_digits(s.distinct),
        version = env!("CARGO_PKG_VERSION"),
        runner = c.runner,
    );
    counters(&mut p, c);
    top(&mut p, s);
    zipf(&mut p, s);
    lengths(&mut p, s);
    files(&mut p, s);
    p.push_str("</body></html>\n");
    p
}

fn counters(p: &mut String, c: &Counters) {
    p.push_str("<section id=\"counters\"><h2>Counters</h2><table>\n");
    for (name, key, value) in c.shown_rows() {
        let _ = writeln!(
            p,
            "<tr><th class=\"text\">{name}</th><td data-counter=\"{key}\" data-value=\"{value}\">{}</td></tr>",
            group_digits(value)
        );
    }
    for (name, d) in &c.phases {
        let _ = writeln!(p, "<tr><th class=\"text\">{name} phase</th><td>{:.3} s</td></tr>", d.as_secs_f64());
    }
    p.push_str("</table></section>\n");
}

/// Horizontal bars: `label`, value, and the text after the bar.
fn bars(p: &mut String, rows: &[(String, u64, String)], label_width: f64) {
    let row = 22.0;
    let height = row * rows.len() as f64 + 8.0;
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1) as f64;
    let span = WIDTH - label_width - 110.0;
    let _ = writeln!(p, "<svg width=\"{WIDTH}\" height=\"{height}\" role=\"img\">");
    for (i, (label, value, text)) in rows.iter().enumerate() {
        let y = 4.0 + row * i as f64;
        let w = (*value as f64 / max * span).max(1.0);
        let _ = writeln!(
            p,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{label_width}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{BAR}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            label_width - 6.0,
            y + 15.0,
            escape(label),
            y + 2.0,
            row - 4.0,
            label_width + w + 6.0,
            y + 15.0,
            escape(text),
        );
    }
    p.push_str("</svg>\n");
}

fn top(p: &mut String, s: &Summary) {
    let _ = writeln!(p, "<section id=\"top\"><h2>The {} most frequent words</h2>", s.top.len());
    let rows: Vec<(String, u64, String)> = s.top.iter().map(|(w, n)| (w.clone(), *n, group_digits(*n))).collect();
    bars(p, &rows, 170.0);
    p.push_str("<table id=\"top-table\"><tr><th>rank</th><th class=\"text\">word</th><th>count</th></tr>\n");
    for (i, (word, count)) in s.top.iter().enumerate() {
        let _ = writeln!(
            p,
            "<tr><td>{}</td><td class=\"text\" data-word=\"{w}\">{w}</td><td data-count=\"{count}\">{}</td></tr>",
            i + 1,
            group_digits(*count),
            w = escape(word),
        );
    }
    p.push_str("</table></section>\n");
}

fn zipf(p: &mut String, s: &Summary) {
    p.push_str("<section id=\"zipf\"><h2>Rank and frequency (log-log)</h2>\n");
    let ranks = s.ranks();
    let (Some(&(_, last_rank, _)), Some(&(_, _, top_count))) = (ranks.last(), ranks.first()) else {
        p.push_str("<p>No words.</p></section>\n");
        return;
    };
    let (height, left, bottom, top_margin, right) = (420.0, 60.0, 40.0, 10.0, 20.0);
    let decades = |n: u64| (n.max(10) as f64).log10().ceil();
    let (xmax, ymax) = (decades(last_rank), decades(top_count));
    let x = |rank: f64| left + rank.log10() / xmax * (WIDTH - left - right);
    let y = |count: f64| height - bottom - count.log10() / ymax * (height - bottom - top_margin);
    let _ = writeln!(p, "<svg width=\"{WIDTH}\" height=\"{height}\" role=\"img\">");
    for k in 0..=xmax as u32 {
        let gx = x(10f64.powi(k as i32));
        let _ = writeln!(
            p,
            "<line x1=\"{gx:.1}\" y1=\"{top_margin}\" x2=\"{gx:.1}\" y2=\"{:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{gx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">10^{k}</text>",
            height - bottom,
            height - bottom + 16.0
        );
    }
    for k in 0..=ymax as u32 {
        let gy = y(10f64.powi(k as i32));
        let _ = writeln!(
            p,
            "<line x1=\"{left}\" y1=\"{gy:.1}\" x2=\"{:.1}\" y2=\"{gy:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">10^{k}</text>",
            WIDTH - right,
            left - 6.0,
            gy + 4.0
        );
    }
    let points: Vec<String> = ranks
        .iter()
        .flat_map(|&(first, last, count)| [(first, count), (last, count)])
        .map(|(r, n)| format!("{:.1},{:.1}", x(r as f64), y(n as f64)))
        .collect();
    let _ =
        writeln!(p, "<polyline points=\"{}\" fill=\"none\" stroke=\"{BAR}\" stroke-width=\"2\"/>", points.join(" "));
    let fit = s.zipf_fit();
    if let Some((exponent, intercept)) = fit {
        let end = last_rank.min(1000) as f64;
        let at = |r: f64| (intercept - exponent * r.ln()).exp();
        let _ = writeln!(
            p,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{ACCENT}\" stroke-width=\"2\" \
             stroke-dasharray=\"6 4\"/>",
            x(1.0),
            y(at(1.0).max(1.0)),
            x(end),
            y(at(end).max(1.0))
        );
    }
    let _ = writeln!(
        p,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">rank</text>",
        (left + WIDTH - right) / 2.0,
        height - 4.0
    );
    p.push_str("</svg>\n");
    match fit {
        Some((exponent, _)) => {
            let _ = writeln!(
                p,
                "<p>Fitted Zipf exponent <b data-zipf=\"{exponent:.4}\">s = {exponent:.3}</b> \
                 (frequency ∝ rank<sup>−s</sup>, least squares over ranks 1 to 1,000; dashed).</p>"
            );
        }
        None => p.push_str("<p>Too few words to fit a Zipf exponent.</p>\n"),
    }
    p.push_str("</section>\n");
}

fn lengths(p: &mut String, s: &Summary) {
    p.push_str("<section id=\"lengths\"><h2>Word lengths (characters), by tokens</h2>\n");
    let (height, bottom) = (260.0, 36.0);
    let max = s.lengths.values().copied().max().unwrap_or(1).max(1) as f64;
    let all = s.tokens.max(1) as f64;
    let slot = (WIDTH - 40.0) / (LONGEST + 1) as f64;
    let _ = writeln!(p, "<svg width=\"{WIDTH}\" height=\"{height}\" role=\"img\">");
    for len in 1..=LONGEST + 1 {
        let tokens = s.lengths.get(&len).copied().unwrap_or(0);
        let h = tokens as f64 / max * (height - bottom - 20.0);
        let bx = 20.0 + slot * (len - 1) as f64;
        let label = if len > LONGEST { format!("{}+", LONGEST + 1) } else { len.to_string() };
        let _ = writeln!(
            p,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{BAR}\" data-length=\"{len}\" \
             data-tokens=\"{tokens}\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{label}</text>",
            bx + 3.0,
            height - bottom - h,
            slot - 6.0,
            bx + slot / 2.0,
            height - bottom + 16.0
        );
        let share = tokens as f64 / all * 100.0;
        if share >= 0.5 {
            let _ = writeln!(
                p,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{share:.0}%</text>",
                bx + slot / 2.0,
                height - bottom - h - 4.0
            );
        }
    }
    p.push_str("</svg></section>\n");
}

fn files(p: &mut String, s: &Summary) {
    if s.files.is_empty() {
        return;
    }
    const SHOWN: usize = 40;
    let _ = writeln!(p, "<section id=\"files\"><h2>Per file: tokens (distinct words)</h2>");
    let rows: Vec<(String, u64, String)> = s
        .files
        .iter()
        .take(SHOWN)
        .map(|f| {
            let name = f.name.rsplit('/').next().unwrap_or(&f.name).to_string();
            (name, f.tokens, format!("{} ({})", group_digits(f.tokens), group_digits(f.distinct)))
        })
        .collect();
    bars(p, &rows, 220.0);
    if s.files.len() > SHOWN {
        let _ = writeln!(p, "<p>The first {SHOWN} of {} files.</p>", s.files.len());
    }
    p.push_str("</section>\n");
}
