//! btsethttpseeds: set or strip the HTTP seeds of .torrent files (BitTornado 0.3.18 syntax:
//! `btsethttpseeds <http-seeds> file1.torrent [...]`, list `url[|url...]` or `0` to strip), plus
//! `--url_list` to set or strip BEP 19 web seeds, which BitTornado never touched.

use std::process::ExitCode;

use bitgocho::cli::{self, edit_tool, options, Opt};
use bitgocho::metainfo::edit::parse_url_list;

const OPTIONS: &[Opt] = &[Opt::str(
    "url_list",
    "",
    "BEP 19 web seed URLs url[|url...] to set as url-list, or 0 to strip it; when not given, url-list is left alone",
)];

fn usage(prog: &str) -> String {
    format!(
        "Usage: {prog} <http-seeds> [--url_list <arg>] file1.torrent [file2.torrent...]

  Where:
    http-seeds = list of seed URLs, in the format:
           url[|url...] or 0
                if the list is a zero, any http seeds will be stripped.
    url_list = optional list of web seed (BEP 19 url-list) URLs, in the same format:
           url[|url...] or 0
                if the list is a zero, the url-list will be stripped.
"
    )
}

/// `Some(urls)` to set, `None` to strip (`0`); an error when no URL is left.
fn seed_list(arg: &str, what: &str) -> Result<Option<Vec<String>>, String> {
    if arg.trim() == "0" {
        return Ok(None);
    }
    let urls = parse_url_list(arg);
    if urls.is_empty() {
        return Err(format!("no {what} URL given (use 0 to strip)"));
    }
    Ok(Some(urls))
}

fn main() -> ExitCode {
    let prog = cli::progname();
    let help = format!("{}\n{}", usage(&prog), options::format_help(OPTIONS, 80));
    let parsed = match edit_tool::parse_for_files(OPTIONS, &help, |_| usage(&prog)) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let pos = &parsed.positional;
    let seeds = match seed_list(&pos[0], "http-seed") {
        Ok(s) => s,
        Err(msg) => return edit_tool::usage_error(&msg),
    };
    let url_list = match parsed.is_given("url_list").then(|| seed_list(parsed.str("url_list"), "url-list")) {
        None => None,
        Some(Ok(list)) => Some(list),
        Some(Err(msg)) => return edit_tool::usage_error(&msg),
    };
    edit_tool::edit_each(&pos[1..], |file, ed| {
        if let Some(old) = ed.http_seeds() {
            println!("old http-seed list for {file}: {}", old.join("|"));
        }
        ed.set_http_seeds(seeds.clone());
        if let Some(list) = &url_list {
            if let Some(old) = ed.url_list() {
                println!("old url-list for {file}: {}", old.join("|"));
            }
            ed.set_url_list(list.clone());
        }
        Ok(())
    })
}
