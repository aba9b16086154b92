//! `rbd`: Ceph's RBD command-line tool, on rbdshim.
fn main() {
    std::process::exit(rbdshim_cli::rbd::main(std::env::args().skip(1).collect()));
}
