//! btsethttpseeds: set or strip the HTTP seeds of .torrent files (BitTornado 0.3.18 syntax:
//! `btsethttpseeds <http-seeds> file1.torrent [...]`, list `url[|url...]` or `0` to strip), plus
//! `--url_list` to set or strip BEP 19 web seeds, which BitTornado never touched.

use std::path::Path;
use std::process::ExitCode;

use bitgocho::cli::{self, options, Opt};
use bitgocho::metainfo::edit::{edit_file, parse_url_list};

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
    let args = match utf8_args() {
        Ok(a) => a,
        Err(bad) => {
            eprintln!("error: argument is not valid UTF-8: {bad}");
            return ExitCode::from(2);
        }
    };
    let parsed = match options::parse(&args, OPTIONS, 0, None) {
        Ok(p) => p,
        Err(e) => return usage_error(&e.to_string()),
    };
    if parsed.help {
        print!("{}\n{}", usage(&prog), options::format_help(OPTIONS, 80));
        return ExitCode::SUCCESS;
    }
    if parsed.version {
        println!("{}", cli::version_string());
        return ExitCode::SUCCESS;
    }
    let pos = &parsed.positional;
    if pos.len() < 2 {
        println!("{}", usage(&prog));
        return ExitCode::from(2);
    }
    let seeds = match seed_list(&pos[0], "http-seed") {
        Ok(s) => s,
        Err(msg) => return usage_error(&msg),
    };
    let url_list = match parsed.is_given("url_list").then(|| seed_list(parsed.str("url_list"), "url-list")) {
        None => None,
        Some(Ok(list)) => Some(list),
        Some(Err(msg)) => return usage_error(&msg),
    };
    let mut failed = false;
    for file in &pos[1..] {
        let result = edit_file(Path::new(file), |ed| {
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
        });
        if let Err(e) = result {
            eprintln!("error: {e}");
            failed = true;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    eprintln!("run with --help for parameter explanations");
    ExitCode::from(2)
}

/// The arguments after the program name, or the first one that is not valid UTF-8.
fn utf8_args() -> Result<Vec<String>, String> {
    std::env::args_os().skip(1).map(|a| a.into_string().map_err(|a| a.to_string_lossy().into_owned())).collect()
}
