//! Tracker settings: every `bttrack` option of BitTornado 0.3.18 with its default, settable by
//! name (`TrackerConfig::set`) so the C settings handle and `bttrack` share one table.

use std::fmt;

/// Which scrape requests are answered (`scrape_allowed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScrapeAllowed {
    /// No scrape at all.
    None,
    /// Only scrapes naming one or more info-hashes.
    Specific,
    /// Specific scrapes and the full scrape of every torrent.
    Full,
}

impl fmt::Display for ScrapeAllowed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ScrapeAllowed::None => "none",
            ScrapeAllowed::Specific => "specific",
            ScrapeAllowed::Full => "full",
        })
    }
}

/// Errors in tracker settings.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `set` was given an option name the tracker does not know.
    #[error("unknown tracker option {0:?}")]
    UnknownKey(String),
    /// An option was given a value of the wrong form.
    #[error("bad value {value:?} for tracker option {key}: expected {expected}")]
    InvalidValue {
        /// The option name.
        key: String,
        /// The value given.
        value: String,
        /// What the option accepts.
        expected: &'static str,
    },
    /// An option asks for a feature this tracker does not implement.
    #[error("tracker option {key} = {value:?} is not supported by this tracker")]
    Unsupported {
        /// The option name.
        key: &'static str,
        /// The value given.
        value: String,
    },
    /// A file named by an option could not be read.
    #[error("cannot read {what} file {path}: {source}")]
    Read {
        /// Which option named the file.
        what: &'static str,
        /// The path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// All tracker options, with BitTornado's defaults. Times are in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackerConfig {
    /// Listen port of the HTTP front (`port`, default 80). Used by the fronts only.
    pub port: u16,
    /// State file path (`dfile`, default empty = no state file).
    pub dfile: String,
    /// Comma-separated addresses to bind (`bind`, default empty = all). Used by the fronts only.
    pub bind: String,
    /// Listen on IPv6 too (`ipv6_enabled`, default 0). Used by the fronts only.
    pub ipv6_enabled: bool,
    /// Whether an IPv6 socket also takes IPv4 (`ipv6_binds_v4`, default auto = `None`). Fronts only.
    pub ipv6_binds_v4: Option<bool>,
    /// Idle HTTP connection timeout (`socket_timeout`, default 15 s). Used by the fronts only.
    pub socket_timeout: u64,
    /// Period between state-file saves (`save_dfile_interval`, default 300 s).
    pub save_dfile_interval: u64,
    /// Period of the peer expiry sweep (`timeout_downloaders_interval`, default 2700 s); a peer
    /// silent since the previous sweep is dropped.
    pub timeout_downloaders_interval: u64,
    /// `interval` sent to clients (`reannounce_interval`, default 1800 s).
    pub reannounce_interval: u64,
    /// `min interval` sent to clients (`min_interval`, default 900 s; 0 = not sent). Not in BitTornado.
    pub min_interval: u64,
    /// Most peers in one reply (`response_size`, default 50); `numwant` can only lower it.
    pub response_size: usize,
    /// How often the fronts should call `maintain` (`timeout_check_interval`, default 5 s).
    pub timeout_check_interval: u64,
    /// Connect-back attempts per peer before it is given up (`nat_check`, default 3; 0 = no check).
    pub nat_check: u32,
    /// Log NAT check results (`log_nat_checks`, default 0). Used by the fronts' log.
    pub log_nat_checks: bool,
    /// Log flush throttle (`min_time_between_log_flushes`, default 3.0 s). Fronts only.
    pub min_time_between_log_flushes: f64,
    /// Lifetime of a swarm's peer hand-out caches (`min_time_between_cache_refreshes`, default
    /// 600.0 s; 0 = no caches, every reply samples the swarm afresh).
    pub min_time_between_cache_refreshes: f64,
    /// Directory of allowed .torrent files (`allowed_dir`, default empty = any torrent).
    pub allowed_dir: String,
    /// File of allowed hex info-hashes, one per line (`allowed_list`, default empty).
    pub allowed_list: String,
    /// Honour `failure reason` / `warning message` keys in allowed .torrents (`allowed_controls`, default 0).
    pub allowed_controls: bool,
    /// Tracker-to-tracker peer sharing: poll the other trackers of allowed_dir torrents'
    /// announce-lists and hand out their peers too (`multitracker_enabled`, default 0).
    pub multitracker_enabled: bool,
    /// Incoming T2T announces: `none`, `autodetect` or `all` (`multitracker_allowed`, default autodetect).
    pub multitracker_allowed: String,
    /// T2T poll period (`multitracker_reannounce_interval`, default 120 s).
    pub multitracker_reannounce_interval: u64,
    /// numwant of T2T polls (`multitracker_maxpeers`, default 20).
    pub multitracker_maxpeers: u32,
    /// `url[,password]` to forward every non-T2T announce to (`aggregate_forward`, default empty).
    pub aggregate_forward: String,
    /// Act as a statistics aggregator: `1`, or a password announces must carry (`aggregator`,
    /// default `0` = a normal tracker).
    pub aggregator: String,
    /// Reopen the log on SIGHUP (`hupmonitor`, default 0). Fronts only.
    pub hupmonitor: bool,
    /// Outgoing T2T request timeout (`http_timeout`, default 60 s).
    pub http_timeout: u64,
    /// Period between rescans of allowed_dir/allowed_list and the IP lists (`parse_dir_interval`, default 60 s).
    pub parse_dir_interval: u64,
    /// Serve the info page at `/` (`show_infopage`, default 1).
    pub show_infopage: bool,
    /// Redirect `/` to this URL instead (`infopage_redirect`, default empty).
    pub infopage_redirect: String,
    /// Show torrent names (from allowed_dir) on the info page and in scrapes (`show_names`, default 1).
    pub show_names: bool,
    /// File served as `/favicon.ico` (`favicon`, default empty = 404).
    pub favicon: String,
    /// File of subnets allowed to use the tracker (`allowed_ips`, default empty = everyone).
    pub allowed_ips: String,
    /// File of PeerGuardian `label:first-last` ranges refused (`banned_ips`, default empty).
    pub banned_ips: String,
    /// Who may override their address with `ip=` or proxy headers (`only_local_override_ip`,
    /// default 2): 0 anyone, 1 only local-network clients, 2 auto (1 when `nat_check` is 0, else 0).
    pub only_local_override_ip: u8,
    /// Log file (`logfile`, default empty = stdout). Fronts only.
    pub logfile: String,
    /// Serve allowed .torrent files at `/file?info_hash=` (`allow_get`, default 0).
    pub allow_get: bool,
    /// Keep torrents that have no peers left (`keep_dead`, default 0).
    pub keep_dead: bool,
    /// Which scrapes are answered (`scrape_allowed`, default full).
    pub scrape_allowed: ScrapeAllowed,
    /// Secret `seed_id` marking a dedicated seed (`dedicated_seed_id`, default empty = off).
    pub dedicated_seed_id: String,
    /// Refuse IPv4 announces that do not ask for compact replies (`compact_reqd`, default 1).
    pub compact_reqd: bool,
    /// Seed of the peer-selection RNG (`rng_seed`, default 0 = from the OS). Not in BitTornado.
    pub rng_seed: u64,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            port: 80,
            dfile: String::new(),
            bind: String::new(),
            ipv6_enabled: false,
            ipv6_binds_v4: None,
            socket_timeout: 15,
            save_dfile_interval: 300,
            timeout_downloaders_interval: 2700,
            reannounce_interval: 1800,
            min_interval: 900,
            response_size: 50,
            timeout_check_interval: 5,
            nat_check: 3,
            log_nat_checks: false,
            min_time_between_log_flushes: 3.0,
            min_time_between_cache_refreshes: 600.0,
            allowed_dir: String::new(),
            allowed_list: String::new(),
            allowed_controls: false,
            multitracker_enabled: false,
            multitracker_allowed: "autodetect".into(),
            multitracker_reannounce_interval: 120,
            multitracker_maxpeers: 20,
            aggregate_forward: String::new(),
            aggregator: "0".into(),
            hupmonitor: false,
            http_timeout: 60,
            parse_dir_interval: 60,
            show_infopage: true,
            infopage_redirect: String::new(),
            show_names: true,
            favicon: String::new(),
            allowed_ips: String::new(),
            banned_ips: String::new(),
            only_local_override_ip: 2,
            logfile: String::new(),
            allow_get: false,
            keep_dead: false,
            scrape_allowed: ScrapeAllowed::Full,
            dedicated_seed_id: String::new(),
            compact_reqd: true,
            rng_seed: 0,
        }
    }
}

fn invalid(key: &str, value: &str, expected: &'static str) -> ConfigError {
    ConfigError::InvalidValue { key: key.to_string(), value: value.to_string(), expected }
}

fn int<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, ConfigError> {
    value.trim().parse().map_err(|_| invalid(key, value, "a non-negative integer"))
}

fn float(key: &str, value: &str) -> Result<f64, ConfigError> {
    match value.trim().parse::<f64>() {
        Ok(f) if f.is_finite() && f >= 0.0 => Ok(f),
        _ => Err(invalid(key, value, "a non-negative number")),
    }
}

fn flag(key: &str, value: &str) -> Result<bool, ConfigError> {
    match value.trim() {
        "0" | "false" => Ok(false),
        "1" | "true" => Ok(true),
        _ => Err(invalid(key, value, "0 or 1")),
    }
}

impl TrackerConfig {
    /// Every option name `set` accepts.
    pub const KEYS: &'static [&'static str] = &[
        "port",
        "dfile",
        "bind",
        "ipv6_enabled",
        "ipv6_binds_v4",
        "socket_timeout",
        "save_dfile_interval",
        "timeout_downloaders_interval",
        "reannounce_interval",
        "min_interval",
        "response_size",
        "timeout_check_interval",
        "nat_check",
        "log_nat_checks",
        "min_time_between_log_flushes",
        "min_time_between_cache_refreshes",
        "allowed_dir",
        "allowed_list",
        "allowed_controls",
        "multitracker_enabled",
        "multitracker_allowed",
        "multitracker_reannounce_interval",
        "multitracker_maxpeers",
        "aggregate_forward",
        "aggregator",
        "hupmonitor",
        "http_timeout",
        "parse_dir_interval",
        "show_infopage",
        "infopage_redirect",
        "show_names",
        "favicon",
        "allowed_ips",
        "banned_ips",
        "only_local_override_ip",
        "logfile",
        "allow_get",
        "keep_dead",
        "scrape_allowed",
        "dedicated_seed_id",
        "compact_reqd",
        "rng_seed",
    ];

    /// Sets option `key` from its textual value, as `bttrack --key value` would. Booleans are
    /// `0`/`1`; unknown keys and malformed values are errors naming the key.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), ConfigError> {
        if self.set_number(key, value)? || self.set_flag(key, value)? {
            return Ok(());
        }
        let s = value.to_string();
        match key {
            "dfile" => self.dfile = s,
            "bind" => self.bind = s,
            "allowed_dir" => self.allowed_dir = s,
            "allowed_list" => self.allowed_list = s,
            "multitracker_allowed" => match value {
                "none" | "autodetect" | "all" => self.multitracker_allowed = s,
                _ => return Err(invalid(key, value, "none, autodetect or all")),
            },
            "aggregate_forward" => self.aggregate_forward = s,
            "aggregator" => self.aggregator = s,
            "infopage_redirect" => self.infopage_redirect = s,
            "favicon" => self.favicon = s,
            "allowed_ips" => self.allowed_ips = s,
            "banned_ips" => self.banned_ips = s,
            "logfile" => self.logfile = s,
            "dedicated_seed_id" => self.dedicated_seed_id = s,
            "ipv6_binds_v4" => {
                self.ipv6_binds_v4 = match value {
                    "auto" | "" => None,
                    _ => Some(flag(key, value)?),
                }
            }
            "scrape_allowed" => {
                self.scrape_allowed = match value {
                    "none" => ScrapeAllowed::None,
                    "specific" => ScrapeAllowed::Specific,
                    "full" => ScrapeAllowed::Full,
                    _ => return Err(invalid(key, value, "none, specific or full")),
                }
            }
            "only_local_override_ip" => match int::<u8>(key, value)? {
                v @ 0..=2 => self.only_local_override_ip = v,
                _ => return Err(invalid(key, value, "0, 1 or 2")),
            },
            _ => return Err(ConfigError::UnknownKey(key.to_string())),
        }
        Ok(())
    }

    fn set_number(&mut self, key: &str, value: &str) -> Result<bool, ConfigError> {
        match key {
            "port" => self.port = int(key, value)?,
            "socket_timeout" => self.socket_timeout = int(key, value)?,
            "save_dfile_interval" => self.save_dfile_interval = int(key, value)?,
            "timeout_downloaders_interval" => self.timeout_downloaders_interval = int(key, value)?,
            "reannounce_interval" => self.reannounce_interval = int(key, value)?,
            "min_interval" => self.min_interval = int(key, value)?,
            "response_size" => self.response_size = int(key, value)?,
            "timeout_check_interval" => self.timeout_check_interval = int(key, value)?,
            "nat_check" => self.nat_check = int(key, value)?,
            "min_time_between_log_flushes" => self.min_time_between_log_flushes = float(key, value)?,
            "min_time_between_cache_refreshes" => self.min_time_between_cache_refreshes = float(key, value)?,
            "multitracker_reannounce_interval" => self.multitracker_reannounce_interval = int(key, value)?,
            "multitracker_maxpeers" => self.multitracker_maxpeers = int(key, value)?,
            "http_timeout" => self.http_timeout = int(key, value)?,
            "parse_dir_interval" => self.parse_dir_interval = int(key, value)?,
            "rng_seed" => self.rng_seed = int(key, value)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn set_flag(&mut self, key: &str, value: &str) -> Result<bool, ConfigError> {
        let slot = match key {
            "ipv6_enabled" => &mut self.ipv6_enabled,
            "log_nat_checks" => &mut self.log_nat_checks,
            "allowed_controls" => &mut self.allowed_controls,
            "multitracker_enabled" => &mut self.multitracker_enabled,
            "hupmonitor" => &mut self.hupmonitor,
            "show_infopage" => &mut self.show_infopage,
            "show_names" => &mut self.show_names,
            "allow_get" => &mut self.allow_get,
            "keep_dead" => &mut self.keep_dead,
            "compact_reqd" => &mut self.compact_reqd,
            _ => return Ok(false),
        };
        *slot = flag(key, value)?;
        Ok(true)
    }

    /// Checks settings that are only meaningful together: `aggregate_forward` must be
    /// `http://...[,password]`, and T2T polls need a poll interval.
    pub fn check_supported(&self) -> Result<(), ConfigError> {
        crate::tracker::aggregate::ForwardTarget::parse(&self.aggregate_forward)?;
        if self.multitracker_enabled && self.multitracker_reannounce_interval == 0 {
            return Err(invalid("multitracker_reannounce_interval", "0", "a positive number of seconds"));
        }
        Ok(())
    }

    /// Whether `ip=` and proxy headers are honoured only from local-network clients, after
    /// resolving `only_local_override_ip 2` (auto).
    pub fn override_only_local(&self) -> bool {
        match self.only_local_override_ip {
            0 => false,
            1 => true,
            _ => self.nat_check == 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_settable_and_unknown_keys_fail() {
        let mut c = TrackerConfig::default();
        for key in TrackerConfig::KEYS {
            let value = match *key {
                "multitracker_allowed" => "all",
                "scrape_allowed" => "specific",
                "ipv6_binds_v4" => "auto",
                _ => "1",
            };
            c.set(key, value).unwrap_or_else(|e| panic!("{key}: {e}"));
        }
        assert_eq!(c.response_size, 1);
        assert_eq!(c.scrape_allowed, ScrapeAllowed::Specific);
        let err = c.set("no_such_option", "1").unwrap_err();
        assert!(err.to_string().contains("no_such_option"), "{err}");
    }

    #[test]
    fn bad_values_name_the_key() {
        let mut c = TrackerConfig::default();
        for (k, v) in [("port", "x"), ("port", "70000"), ("compact_reqd", "2"), ("scrape_allowed", "some")] {
            let err = c.set(k, v).unwrap_err();
            assert!(err.to_string().contains(k), "{err}");
        }
        assert_eq!(c, TrackerConfig::default());
    }

    #[test]
    fn override_auto_follows_nat_check() {
        let mut c = TrackerConfig::default();
        assert!(!c.override_only_local());
        c.set("nat_check", "0").unwrap();
        assert!(c.override_only_local());
        c.set("only_local_override_ip", "0").unwrap();
        assert!(!c.override_only_local());
    }

    #[test]
    fn multitracker_and_aggregation_settings_are_checked() {
        let mut c = TrackerConfig::default();
        c.set("multitracker_enabled", "1").unwrap();
        c.set("aggregator", "secret").unwrap();
        assert!(c.check_supported().is_ok());
        c.set("aggregate_forward", "ftp://x").unwrap();
        assert!(c.check_supported().unwrap_err().to_string().contains("aggregate_forward"));
        c.set("aggregate_forward", "http://127.0.0.1:81/announce,pw").unwrap();
        c.set("multitracker_reannounce_interval", "0").unwrap();
        assert!(c.check_supported().unwrap_err().to_string().contains("multitracker_reannounce_interval"));
    }
}
