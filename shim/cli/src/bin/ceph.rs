//! `ceph`: the cluster commands of Ceph's command-line tool, on rbdshim.
fn main() {
    std::process::exit(rbdshim_cli::ceph::main(std::env::args().skip(1).collect()));
}
