//! Numbers and tables as the monitor prints them in plain output: sizes ("1.2 GiB"), counts
//! ("1.23k"), percentages, ages ("5m"), and text tables.

fn format_u(v: u64, mult: u64, index: usize, n: u64, unit: &str) -> String {
    if index == 0 || v.is_multiple_of(mult) {
        return format!("{n}{unit}");
    }
    let x = v as f64 / mult as f64;
    // The most decimals (two at most) that keep number and unit within seven characters.
    for prec in (1..=2).rev() {
        let s = format!("{x:.prec$}{unit}");
        if s.len() <= 7 {
            return s;
        }
    }
    format!("{x:.0}{unit}")
}

/// A byte count in binary units: "0 B", "4 MiB", "1.2 GiB".
pub fn bytes(v: u64) -> String {
    const UNITS: [&str; 7] = [" B", " KiB", " MiB", " GiB", " TiB", " PiB", " EiB"];
    let (mut n, mut i) = (v, 0);
    while n >= 1024 && i < UNITS.len() - 1 {
        n /= 1024;
        i += 1;
    }
    format_u(v, 1u64 << (10 * i), i, n, UNITS[i])
}

/// A count in decimal units: "12", "1.23k", "4M".
pub fn count(v: u64) -> String {
    const UNITS: [&str; 7] = ["", "k", "M", "G", "T", "P", "E"];
    let (mut n, mut i) = (v, 0);
    while n >= 1000 && i < UNITS.len() - 1 {
        n /= 1000;
        i += 1;
    }
    format_u(v, 1000u64.pow(i as u32), i, n, UNITS[i])
}

/// A percentage with two decimals; "0" below 0.01.
pub fn percent(p: f64) -> String {
    if p < 0.01 {
        "0".to_string()
    } else {
        format!("{p:.2}")
    }
}

/// An age in its largest sensible unit: "45s", "5m", "3h", "2d", "7w", "4M", "2y".
pub fn age(secs: u64) -> String {
    if secs < 120 {
        return format!("{secs}s");
    }
    let min = secs / 60;
    if min < 120 {
        return format!("{min}m");
    }
    let hours = min / 60;
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if days < 14 {
        return format!("{days}d");
    }
    if days / 7 < 12 {
        return format!("{}w", days / 7);
    }
    if days / 30 < 24 {
        return format!("{}M", days / 30);
    }
    format!("{}y", days / 365)
}

/// A text table: columns two spaces apart, each left- or right-aligned (header included).
pub struct Table {
    cols: Vec<(String, bool)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// `(header, right_aligned)` per column.
    pub fn new(cols: &[(&str, bool)]) -> Table {
        Table { cols: cols.iter().map(|(h, r)| (h.to_string(), *r)).collect(), rows: Vec::new() }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let mut width: Vec<usize> = self.cols.iter().map(|(h, _)| h.chars().count()).collect();
        for r in &self.rows {
            for (w, c) in width.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let mut out = String::new();
        let headers: Vec<String> = self.cols.iter().map(|(h, _)| h.clone()).collect();
        for r in std::iter::once(&headers).chain(&self.rows) {
            let cells: Vec<String> = self
                .cols
                .iter()
                .enumerate()
                .map(|(i, (_, right))| {
                    let c = r.get(i).map(String::as_str).unwrap_or("");
                    let w = width[i];
                    if *right {
                        format!("{c:>w$}")
                    } else {
                        format!("{c:<w$}")
                    }
                })
                .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_counts() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(4 << 20), "4 MiB");
        assert_eq!(bytes(3 << 29), "1.5 GiB");
        assert_eq!(bytes((1 << 30) + (1 << 28)), "1.2 GiB");
        assert_eq!(bytes(897 * (1 << 30) + 12345), "897 GiB");
        assert_eq!(count(4), "4");
        assert_eq!(count(1000), "1k");
        assert_eq!(count(1234), "1.23k");
        assert_eq!(count(22_160), "22.16k");
        assert_eq!(percent(0.001), "0");
        assert_eq!(percent(0.3456), "0.35");
    }

    #[test]
    fn ages() {
        assert_eq!(age(5), "5s");
        assert_eq!(age(300), "5m");
        assert_eq!(age(3 * 3600), "3h");
        assert_eq!(age(3 * 86400), "3d");
        assert_eq!(age(30 * 86400), "4w");
        assert_eq!(age(100 * 86400), "3M");
        assert_eq!(age(1000 * 86400), "2y");
    }

    #[test]
    fn tables() {
        let mut t = Table::new(&[("CLASS", false), ("SIZE", true)]);
        t.row(vec!["hdd".into(), "100 GiB".into()]);
        assert_eq!(t.render(), "CLASS     SIZE\nhdd    100 GiB\n");
    }
}
