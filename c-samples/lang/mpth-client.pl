#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
#
# mpth-client.pl: an MPTCP client in Perl that speaks the harness's
# protocol (c-samples/proto.h): it uploads BYTES of the pattern for SEED to
# mptcp-server, which verifies every byte, and reports how MPTCP went.
#
# Usage: mpth-client.pl HOST PORT BYTES [SEED]
#
# Perl's Socket module has no IPPROTO_MPTCP: the protocol number is 262.
# When the kernel cannot do MPTCP, socket() fails with ENOPROTOOPT,
# EPROTONOSUPPORT or EINVAL, and we fall back to TCP ourselves.
#
# Prints one JSON line. Exit: 0 ok, 1 failure, 2 usage, 3 connect error.
use strict;
use warnings;
use Errno qw(ENOPROTOOPT EPROTONOSUPPORT EINVAL);
use Socket qw(:addrinfo SOCK_STREAM IPPROTO_TCP SHUT_WR);

use constant {
	IPPROTO_MPTCP => 262,
	SOL_MPTCP => 284,
	MPTCP_INFO => 1,
	MPTCP_INFO_FLAG_FALLBACK => 1,
	PAT_PERIOD => 65521,
	PAT_SPAN => 256 * 1024,
};

my %no_mptcp = (
	ENOPROTOOPT() => 'ENOPROTOOPT: MPTCP disabled (net.mptcp.enabled=0)',
	EPROTONOSUPPORT() => 'EPROTONOSUPPORT: kernel without MPTCP',
	EINVAL() => 'EINVAL: kernel too old for MPTCP (< 5.6)',
);

# 32-bit multiply without leaving exact integers: split one factor.
sub mul32 {
	my ($a, $b) = @_;
	my $lo = $a * ($b & 0xffff);
	my $hi = (($a * ($b >> 16)) & 0xffff) << 16;
	return ($lo + $hi) & 0xffffffff;
}

sub xorshift32 {
	my $x = shift;
	$x ^= ($x << 13) & 0xffffffff;
	$x ^= $x >> 17;
	$x ^= ($x << 5) & 0xffffffff;
	return $x;
}

# The pattern table, extended so any PAT_SPAN bytes are one substr.
sub pattern {
	my $seed = shift;
	my $st = mul32($seed ^ 0x6d707468, 2654435761) || 1;
	my @tab;
	$st = xorshift32($st) for 1 .. 8;
	for (1 .. PAT_PERIOD) {
		$st = xorshift32($st);
		push @tab, $st >> 24;
	}
	my $t = pack('C*', @tab);
	return substr($t x (int(PAT_SPAN / PAT_PERIOD) + 2), 0, PAT_PERIOD + PAT_SPAN);
}

# Subflows (initial included) by MPTCP_INFO; 0 when the connection is TCP.
sub mptcp_subflows {
	my $sock = shift;
	my $info = getsockopt($sock, SOL_MPTCP, MPTCP_INFO);
	return 0 unless defined $info && length($info) >= 12;
	my ($subflows, $flags) = unpack('C x7 L', $info);
	return 0 if $flags & MPTCP_INFO_FLAG_FALLBACK;
	return $subflows + 1;
}

sub json {
	my %h = @_;
	return '{' . join(',', map {
		my $v = $h{$_};
		my $s = !defined $v ? 'null' : $v =~ /^-?\d+\z/ ? $v : do {
			(my $e = $v) =~ s/(["\\])/\\$1/g;
			"\"$e\"";
		};
		"\"$_\":$s";
	} sort keys %h) . '}';
}

if (@ARGV < 3 || @ARGV > 4) {
	print STDERR "usage: mpth-client.pl HOST PORT BYTES [SEED]\n";
	exit 2;
}
my ($host, $port, $length, $seed) = @ARGV;
$seed //= 1;
my %res = (lang => 'perl', version => sprintf('%vd', $^V), protocol => 'tcp',
	fallback_reason => undef, max_subflows => 0, bytes_sent => 0, status => undef);

my ($err, $ai) = getaddrinfo($host, $port, { socktype => SOCK_STREAM });
die "mpth-client.pl: $host: $err\n" if $err;
my ($sock, $asked);
if (socket($sock, $ai->{family}, SOCK_STREAM, IPPROTO_MPTCP)) {
	$asked = 1;
} else {
	my $why = $no_mptcp{$! + 0} or die "mpth-client.pl: socket: $!\n";
	$res{fallback_reason} = $why;
	socket($sock, $ai->{family}, SOCK_STREAM, IPPROTO_TCP) or die "socket: $!\n";
}
unless (connect($sock, $ai->{addr})) {
	$res{status} = "connect_error: $!";
	print json(%res), "\n";
	exit 3;
}
binmode $sock;

sub send_all {
	my ($sock, $buf) = @_;
	my $off = 0;
	while ($off < length $buf) {
		my $n = syswrite($sock, $buf, length($buf) - $off, $off);
		die "mpth-client.pl: send: $!\n" unless defined $n;
		$off += $n;
	}
}

# magic, version 1, mode upload, flags 0 (verify), seed, duration 0, length
send_all($sock, 'MPTH' . pack('C C n N N Q>', 1, 0, 0, $seed, 0, $length));
my $tab = pattern($seed);
my $best = mptcp_subflows($sock);
for (my $off = 0; $off < $length;) {
	my $n = $length - $off < PAT_SPAN ? $length - $off : PAT_SPAN;
	send_all($sock, substr($tab, $off % PAT_PERIOD, $n));
	$off += $n;
	$res{bytes_sent} = $off;
	my $s = mptcp_subflows($sock);
	$best = $s if $s > $best;
}
if ($best) {
	$res{protocol} = 'mptcp';
} elsif ($asked) {
	$res{fallback_reason} = 'peer or path does not do MPTCP (MPTCP_INFO)';
}
$res{max_subflows} = $best || 1;
shutdown($sock, SHUT_WR);

my $reply = '';
while (length $reply < 24) {
	my $n = sysread($sock, $reply, 24 - length $reply, length $reply);
	last unless $n;
}
close $sock;
if (length $reply == 24 && substr($reply, 0, 4) eq 'MPTR') {
	my ($status, $nbytes) = unpack('x5 C x2 Q>', $reply);
	$res{status} = (qw(ok mismatch truncated error))[$status > 3 ? 3 : $status];
	$res{server_bytes} = $nbytes;
} else {
	$res{status} = 'no result from the server';
}
print json(%res), "\n";
exit($res{status} eq 'ok' ? 0 : 1);
