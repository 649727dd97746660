//! The peers bench's figures as a chart: reads the Markdown the `peers`
//! binary prints (its "Median M events/s" table), divides each system's
//! figure by the cores it ran on, and draws one group of bars per query,
//! one bar per system, as an SVG.
//!
//! ```text
//! cargo run --release -p laminar-benches --features peers --bin peers -- 3 10000000 > peers.md
//! cargo run -p laminar-benches --features plots --bin plot -- peers.md docs/peers.svg
//! ```

use plotters::prelude::*;

/// One row of the table: a system, its cores, and M events/s per query
/// (`None` where it cannot run the query).
struct Row {
    system: String,
    cores: u32,
    rates: Vec<Option<f64>>,
}

/// The queries (column heads) and rows of the first table of `markdown`.
fn parse(markdown: &str) -> Result<(Vec<String>, Vec<Row>), String> {
    let mut lines = markdown
        .lines()
        .skip_while(|l| !l.starts_with("## Median"))
        .skip(1)
        .skip_while(|l| !l.starts_with('|'));
    let head = lines.next().ok_or("no table after \"## Median\"")?;
    let queries: Vec<String> = cells(head).skip(1).map(str::to_owned).collect();
    let mut rows = Vec::new();
    for line in lines.skip(1).take_while(|l| l.starts_with('|')) {
        let mut c = cells(line);
        let system = c.next().ok_or("an empty row")?.to_owned();
        let cores = system
            .split(|ch: char| !ch.is_ascii_digit())
            .find_map(|n| n.parse().ok())
            .unwrap_or(1);
        let rates = c
            .map(|cell| cell.split_whitespace().next().and_then(|m| m.parse().ok()))
            .collect();
        rows.push(Row {
            system,
            cores,
            rates,
        });
    }
    Ok((queries, rows))
}

fn cells(line: &str) -> impl Iterator<Item = &str> {
    line.trim().trim_matches('|').split('|').map(str::trim)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let input = args.next().ok_or("usage: plot PEERS.md OUT.svg")?;
    let output = args.next().ok_or("usage: plot PEERS.md OUT.svg")?;
    let (systems, queries) = draw(&std::fs::read_to_string(&input)?, &output)?;
    println!("{output}: {systems} systems, {queries} queries");
    Ok(())
}

/// Draws the chart of `markdown`'s table into the SVG file `output`;
/// returns how many systems and queries it drew.
fn draw(markdown: &str, output: &str) -> Result<(usize, usize), Box<dyn std::error::Error>> {
    let (queries, rows) = parse(markdown)?;
    let rows: Vec<&Row> = rows
        .iter()
        .filter(|r| r.rates.iter().any(Option::is_some))
        .collect();
    let per_core = |r: &Row, q: usize| {
        r.rates
            .get(q)
            .copied()
            .flatten()
            .map(|m| m / f64::from(r.cores))
    };
    let top = rows
        .iter()
        .flat_map(|r| (0..queries.len()).filter_map(|q| per_core(r, q)))
        .fold(0.0, f64::max);

    let root = SVGBackend::new(output, (1200, 620)).into_drawing_area();
    root.fill(&WHITE)?;
    let groups = queries.len() as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Nexmark, M events/s per core (peers bench)",
            ("sans-serif", 22),
        )
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(50)
        .right_y_label_area_size(0)
        .build_cartesian_2d(0.0..groups, 0.0..top * 1.1)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(queries.len())
        .x_label_formatter(&|x| queries.get(x.floor() as usize).cloned().unwrap_or_default())
        .y_desc("M events/s per core")
        .draw()?;
    let width = 0.8 / rows.len() as f64;
    for (i, row) in rows.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let bars = (0..queries.len()).filter_map(|q| {
            let v = per_core(row, q)?;
            let x = q as f64 + 0.1 + i as f64 * width;
            Some(Rectangle::new(
                [(x, 0.0), (x + width * 0.9, v)],
                color.filled(),
            ))
        });
        chart
            .draw_series(bars)?
            .label(format!("{} (÷ {})", row.system, row.cores))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 11))
        .draw()?;
    root.present()?;
    Ok((rows.len(), queries.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "# Peers bench\n\n## Median M events/s (slowest–fastest round)\n\n\
| system | q0 | q5 |\n|---|---:|---:|\n\
| hand-written loop | 156 (150–159) | 63 (61–64) |\n\
| Laminar runtime, 2 cores, source | 316 (294–339) | 74 (73–76) |\n\
| renoir, 1 replica, its own windows | — | — |\n\n## Same-run speed ratio\n\n| system | q0 |\n";

    #[test]
    fn reads_the_first_table_with_cores_and_missing_cells() {
        let (queries, rows) = parse(TABLE).unwrap();
        assert_eq!(queries, ["q0", "q5"]);
        assert_eq!(rows.len(), 3);
        assert_eq!(
            (rows[0].cores, rows[0].rates.clone()),
            (1, vec![Some(156.0), Some(63.0)])
        );
        assert_eq!(
            (rows[1].cores, rows[1].rates.clone()),
            (2, vec![Some(316.0), Some(74.0)])
        );
        assert_eq!(rows[2].rates, [None, None]);
    }

    #[test]
    fn draws_every_system_that_ran() {
        let dir = std::env::temp_dir().join(format!("laminar-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let svg = dir.join("peers.svg");
        let drawn = draw(TABLE, svg.to_str().unwrap()).unwrap();
        assert_eq!(drawn, (2, 2));
        let drawn = std::fs::read_to_string(&svg).unwrap();
        assert!(drawn.starts_with("<svg"));
        assert!(drawn.contains("Laminar runtime, 2 cores, source (÷ 2)"));
        assert!(
            !drawn.contains("its own windows"),
            "a system with no figure is left out"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
