//! The `ceph` command line: the tool's own options and the commands, with Ceph 16.2's words,
//! argument names (they become the JSON command's keys) and help texts.
//!
//! A positional's `value_name` is how Ceph's help shows it ("pg_num:int" shows as
//! `<pg_num:int>`); arguments with a fixed set of values show as the set ("detail").

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "ceph",
    about = "Ceph administration tool",
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = true
)]
pub struct Cli {
    /// output format
    #[arg(short = 'f', long = "format", global = true, value_name = "FORMAT",
          value_parser = ["json", "json-pretty", "xml", "xml-pretty", "plain"])]
    pub format: Option<String>,
    /// output file, or "-" for stdout
    #[arg(short = 'o', long = "out-file", global = true, value_name = "OUTPUT_FILE")]
    pub out_file: Option<String>,
    /// input file, or "-" for stdin
    #[arg(short = 'i', long = "in-file", global = true, value_name = "INPUT_FILE")]
    pub in_file: Option<String>,
    /// show cluster status
    #[arg(short = 's', long = "status")]
    pub status: bool,
    /// display version
    #[arg(short = 'v', long = "version")]
    pub version: bool,
    /// make verbose
    #[arg(long, global = true)]
    pub verbose: bool,
    /// make less verbose
    #[arg(long, global = true)]
    pub concise: bool,
    /// set a timeout for connecting to the cluster
    #[arg(long = "connect-timeout", global = true, value_name = "CLUSTER_TIMEOUT")]
    pub connect_timeout: Option<u64>,
    #[command(subcommand)]
    pub cmd: Option<Cmd>,
}

/// `detail`, the one word some commands take.
fn detail() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(["detail"])
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// show cluster status
    Status,
    /// show cluster health
    Health {
        #[arg(value_parser = detail())]
        detail: Option<String>,
    },
    /// show cluster FSID/UUID
    Fsid,
    /// show mon daemon version
    Version,
    /// check running versions of ceph daemons
    Versions,
    /// show cluster free space stats
    Df {
        #[arg(value_parser = detail())]
        detail: Option<String>,
    },
    #[command(about = "")]
    Mon {
        #[command(subcommand)]
        cmd: MonCmd,
    },
    #[command(about = "")]
    Osd {
        #[command(subcommand)]
        cmd: OsdCmd,
    },
    #[command(about = "")]
    Auth {
        #[command(subcommand)]
        cmd: AuthCmd,
    },
}

#[derive(Subcommand, Debug)]
pub enum MonCmd {
    /// dump formatted monmap (optionally from epoch)
    Dump {
        #[arg(value_name = "epoch:int")]
        epoch: Option<i64>,
    },
}

#[derive(Subcommand, Debug)]
pub enum OsdCmd {
    /// list pools
    Lspools,
    #[command(about = "")]
    Pool {
        #[command(subcommand)]
        cmd: PoolCmd,
    },
}

#[derive(Subcommand, Debug)]
pub enum PoolCmd {
    /// list pools
    Ls {
        #[arg(value_parser = detail())]
        detail: Option<String>,
    },
    /// create pool
    Create {
        #[arg(value_name = "pool")]
        pool: String,
        /// pg_num, pgp_num, pool_type, erasure_code_profile, rule, expected_num_objects, size,
        /// pg_num_min, pg_num_max, autoscale_mode, target_size_bytes, target_size_ratio: each
        /// optional, matched by type in this order, as Ceph does.
        #[arg(value_name = "rest", allow_hyphen_values = true, hide = true)]
        rest: Vec<String>,
        #[arg(long)]
        bulk: bool,
    },
    /// remove pool
    #[command(visible_alias = "delete")]
    Rm {
        #[arg(value_name = "pool")]
        pool: String,
        #[arg(value_name = "pool2")]
        pool2: Option<String>,
        #[arg(long = "yes-i-really-really-mean-it")]
        yes_i_really_really_mean_it: bool,
        #[arg(long = "yes-i-really-really-mean-it-not-faking")]
        yes_i_really_really_mean_it_not_faking: bool,
    },
    /// get pool parameter <var>
    Get {
        #[arg(value_name = "pool")]
        pool: String,
        #[arg(value_parser = get_vars())]
        var: String,
    },
    /// set pool parameter <var> to <val>
    Set {
        #[arg(value_name = "pool")]
        pool: String,
        #[arg(value_parser = set_vars())]
        var: String,
        #[arg(value_name = "val", allow_hyphen_values = true)]
        val: String,
        #[arg(long = "yes-i-really-mean-it")]
        yes_i_really_mean_it: bool,
    },
    /// obtain object or byte limits for pool
    GetQuota {
        #[arg(value_name = "pool")]
        pool: String,
    },
    /// set object or byte limit on pool
    SetQuota {
        #[arg(value_name = "pool")]
        pool: String,
        #[arg(value_parser = ["max_objects", "max_bytes"])]
        field: String,
        #[arg(value_name = "val", allow_hyphen_values = true)]
        val: String,
    },
    #[command(about = "")]
    Application {
        #[command(subcommand)]
        cmd: AppCmd,
    },
}

fn get_vars() -> clap::builder::PossibleValuesParser {
    let mut v = rbdshim_core::monitor::pool_get_vars();
    v.push("all");
    clap::builder::PossibleValuesParser::new(v)
}

fn set_vars() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(rbdshim_core::monitor::pool_set_vars())
}

#[derive(Subcommand, Debug)]
pub enum AppCmd {
    /// enable use of an application <app> [cephfs,rbd,rgw] on pool <poolname>
    Enable {
        #[arg(value_name = "pool")]
        pool: String,
        #[arg(value_name = "app")]
        app: String,
        #[arg(long = "yes-i-really-mean-it")]
        yes_i_really_mean_it: bool,
    },
    /// disables use of an application <app> on pool <poolname>
    Disable {
        #[arg(value_name = "pool")]
        pool: String,
        #[arg(value_name = "app")]
        app: String,
        #[arg(long = "yes-i-really-mean-it")]
        yes_i_really_mean_it: bool,
    },
    /// get value of key <key> of application <app> on pool <poolname>
    Get {
        #[arg(value_name = "pool")]
        pool: Option<String>,
        #[arg(value_name = "app")]
        app: Option<String>,
        #[arg(value_name = "key")]
        key: Option<String>,
    },
    /// sets application <app> metadata key <key> to <value> on pool <poolname>
    Set {
        #[arg(value_name = "pool")]
        pool: String,
        #[arg(value_name = "app")]
        app: String,
        #[arg(value_name = "key")]
        key: String,
        #[arg(value_name = "value")]
        value: String,
    },
    /// removes application <app> metadata key <key> on pool <poolname>
    Rm {
        #[arg(value_name = "pool")]
        pool: String,
        #[arg(value_name = "app")]
        app: String,
        #[arg(value_name = "key")]
        key: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuthCmd {
    /// list authentication state
    #[command(visible_alias = "list")]
    Ls,
    /// write keyring file with requested key
    Get {
        #[arg(value_name = "entity")]
        entity: String,
    },
    /// display requested key
    #[command(visible_alias = "print-key", alias = "print_key")]
    GetKey {
        #[arg(value_name = "entity")]
        entity: String,
    },
    /// write keyring for requested entity, or master keyring if none given
    Export {
        #[arg(value_name = "entity")]
        entity: Option<String>,
    },
    /// auth import: read keyring file from -i <file>
    Import,
    /// add auth info for <entity> from input file, or random key if no input is given, and/or
    /// any caps specified in the command
    Add {
        #[arg(value_name = "entity")]
        entity: String,
        #[arg(value_name = "caps")]
        caps: Vec<String>,
    },
    /// add auth info for <entity> from input file, or random key if no input given, and/or any
    /// caps specified in the command
    GetOrCreate {
        #[arg(value_name = "entity")]
        entity: String,
        #[arg(value_name = "caps")]
        caps: Vec<String>,
    },
    /// get, or add, key for <name> from system/caps pairs specified in the command.  If key
    /// already exists, any given caps must match the existing caps for that key.
    GetOrCreateKey {
        #[arg(value_name = "entity")]
        entity: String,
        #[arg(value_name = "caps")]
        caps: Vec<String>,
    },
    /// update caps for <name> from caps specified in the command
    Caps {
        #[arg(value_name = "entity")]
        entity: String,
        #[arg(value_name = "caps", required = true)]
        caps: Vec<String>,
    },
    /// remove all caps for <name>
    #[command(visible_alias = "del")]
    Rm {
        #[arg(value_name = "entity")]
        entity: String,
    },
}
