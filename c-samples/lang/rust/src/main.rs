// SPDX-License-Identifier: GPL-2.0
//! mpth-client-rs: an MPTCP client in Rust that speaks the harness's
//! protocol (c-samples/proto.h): it uploads BYTES of the pattern for SEED
//! to mptcp-server, which verifies every byte, and reports how MPTCP went.
//!
//! Usage: mpth-client-rs HOST PORT BYTES [SEED]
//!
//! socket2 opens any protocol: Protocol::from(262) is IPPROTO_MPTCP. When
//! the kernel cannot do MPTCP, socket() fails with ENOPROTOOPT,
//! EPROTONOSUPPORT or EINVAL, and we fall back to TCP ourselves.
//!
//! Prints one JSON line. Exit: 0 ok, 1 failure, 2 usage, 3 connect error.
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io::{Read, Write};
use std::net::{Shutdown, ToSocketAddrs};
use std::os::unix::io::AsRawFd;
use std::process::exit;

const IPPROTO_MPTCP: i32 = 262;
const SOL_MPTCP: i32 = 284;
const MPTCP_INFO: i32 = 1;
const MPTCP_INFO_FLAG_FALLBACK: u32 = 1;
const PAT_PERIOD: usize = 65521;
const PAT_SPAN: usize = 256 * 1024;

fn xorshift32(x: &mut u32) -> u32 {
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    *x
}

/// The pattern table, extended so any PAT_SPAN bytes are one slice.
fn pattern(seed: u32) -> Vec<u8> {
    let mut st = (seed ^ 0x6d70_7468).wrapping_mul(2_654_435_761);
    if st == 0 {
        st = 1;
    }
    for _ in 0..8 {
        xorshift32(&mut st);
    }
    let mut tab: Vec<u8> = (0..PAT_PERIOD).map(|_| (xorshift32(&mut st) >> 24) as u8).collect();
    for i in PAT_PERIOD..PAT_PERIOD + PAT_SPAN {
        tab.push(tab[i - PAT_PERIOD]);
    }
    tab
}

/// Subflows (initial included) by MPTCP_INFO; 0 when the connection is TCP.
fn mptcp_subflows(sock: &Socket) -> u32 {
    let mut info = [0u8; 16];
    let mut len = info.len() as libc::socklen_t;
    // SAFETY: the buffer and its length are ours and valid.
    let rc = unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            SOL_MPTCP,
            MPTCP_INFO,
            info.as_mut_ptr() as *mut libc::c_void,
            &mut len,
        )
    };
    if rc != 0 || len < 12 {
        return 0;
    }
    let flags = u32::from_ne_bytes([info[8], info[9], info[10], info[11]]);
    if flags & MPTCP_INFO_FLAG_FALLBACK != 0 {
        return 0;
    }
    info[0] as u32 + 1
}

fn json_str(v: &Option<String>) -> String {
    match v {
        None => "null".to_string(),
        Some(s) => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 || args.len() > 5 {
        eprintln!("usage: mpth-client-rs HOST PORT BYTES [SEED]");
        exit(2);
    }
    let port: u16 = args[2].parse().unwrap_or_else(|_| exit(2));
    let length: u64 = args[3].parse().unwrap_or_else(|_| exit(2));
    let seed: u32 = args.get(4).map_or(1, |s| s.parse().unwrap_or_else(|_| exit(2)));
    let addr = (args[1].as_str(), port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .unwrap_or_else(|| {
            eprintln!("mpth-client-rs: cannot resolve {}", args[1]);
            exit(2)
        });

    let mut reason: Option<String> = None;
    let domain = Domain::for_address(addr);
    let (sock, asked) = match Socket::new(domain, Type::STREAM, Some(Protocol::from(IPPROTO_MPTCP))) {
        Ok(s) => (s, true),
        Err(e) => {
            reason = Some(match e.raw_os_error() {
                Some(libc::ENOPROTOOPT) => "ENOPROTOOPT: MPTCP disabled (net.mptcp.enabled=0)",
                Some(libc::EPROTONOSUPPORT) => "EPROTONOSUPPORT: kernel without MPTCP",
                Some(libc::EINVAL) => "EINVAL: kernel too old for MPTCP (< 5.6)",
                _ => {
                    eprintln!("mpth-client-rs: socket: {}", e);
                    exit(1)
                }
            }
            .to_string());
            let s = Socket::new(domain, Type::STREAM, Some(Protocol::TCP)).unwrap_or_else(|e| {
                eprintln!("mpth-client-rs: socket: {}", e);
                exit(1)
            });
            (s, false)
        }
    };
    if let Err(e) = sock.connect(&SockAddr::from(addr)) {
        println!(
            "{{\"lang\":\"rust\",\"protocol\":null,\"status\":{}}}",
            json_str(&Some(format!("connect_error: {}", e)))
        );
        exit(3);
    }
    let mut sock = sock;

    // magic, version 1, mode upload, flags 0 (verify), seed, duration 0, length
    let mut hdr = Vec::with_capacity(24);
    hdr.extend_from_slice(b"MPTH");
    hdr.extend_from_slice(&[1, 0, 0, 0]);
    hdr.extend_from_slice(&seed.to_be_bytes());
    hdr.extend_from_slice(&0u32.to_be_bytes());
    hdr.extend_from_slice(&length.to_be_bytes());
    let send = |sock: &mut Socket, buf: &[u8]| {
        sock.write_all(buf).unwrap_or_else(|e| {
            eprintln!("mpth-client-rs: send: {}", e);
            exit(1)
        })
    };
    send(&mut sock, &hdr);

    let tab = pattern(seed);
    let mut best = mptcp_subflows(&sock);
    let mut off: u64 = 0;
    while off < length {
        let n = std::cmp::min(length - off, PAT_SPAN as u64) as usize;
        let pos = (off % PAT_PERIOD as u64) as usize;
        send(&mut sock, &tab[pos..pos + n]);
        off += n as u64;
        best = best.max(mptcp_subflows(&sock));
    }
    let protocol = if best > 0 { "mptcp" } else { "tcp" };
    if best == 0 && asked {
        reason = Some("peer or path does not do MPTCP (MPTCP_INFO)".to_string());
    }
    let _ = sock.shutdown(Shutdown::Write);

    let mut reply = Vec::new();
    let _ = (&mut sock).take(24).read_to_end(&mut reply);
    let (status, server_bytes) = if reply.len() == 24 && &reply[..4] == b"MPTR" {
        let st = ["ok", "mismatch", "truncated", "error"][std::cmp::min(reply[5], 3) as usize];
        let mut b = [0u8; 8];
        b.copy_from_slice(&reply[8..16]);
        (st.to_string(), u64::from_be_bytes(b))
    } else {
        ("no result from the server".to_string(), 0)
    };
    println!(
        "{{\"lang\":\"rust\",\"protocol\":\"{}\",\"fallback_reason\":{},\"max_subflows\":{},\"bytes_sent\":{},\"status\":{},\"server_bytes\":{}}}",
        protocol,
        json_str(&reason),
        best.max(1),
        off,
        json_str(&Some(status.clone())),
        server_bytes
    );
    exit(if status == "ok" { 0 } else { 1 });
}
