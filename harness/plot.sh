# shellcheck shell=bash
# Timeline plots: for a traffic run, throughput per path (from the routers'
# byte counters), the client's subflow count as steps, and a labelled
# vertical marker for every fault and recovery. PNG and SVG, by gnuplot.

# Per-path throughput in Mbit/s over 200 ms windows, from start to end.
# $1: start ms, $2: end ms, $3: column (2 up, 3 down, 0 both), $4...: files
__plot_rates() {
	local start=$1 end=$2 col=$3
	shift 3
	awk -v s="$start" -v e="$end" -v col="$col" -v np=$# '
		FNR == 1 { p++ }
		{
			if ($1 < s - 200 || $1 > e + 200) next
			v = col == 0 ? $2 + $3 : $col
			b = int(($1 - s) / 200)
			if (!(p SUBSEP b in first)) first[p, b] = v
			last[p, b] = v
			if (b > maxb) maxb = b
			if (b < minb) minb = b
		}
		END {
			for (b = minb; b <= maxb; b++) {
				line = sprintf("%.2f", (b + 1) * 0.2)
				for (i = 1; i <= np; i++) {
					r = "NaN"
					# Rate over the window: this window last minus the
					# previous window last, so no bytes are lost.
					if ((i SUBSEP b) in last && (i SUBSEP (b - 1)) in last)
						r = sprintf("%.2f", (last[i, b] - last[i, b - 1]) * 8 / 0.2 / 1e6)
					line = line " " r
				}
				print line
			}
		}' "$@"
}

# Plot one traffic run. $1: tag
plot_traffic() {
	local tag=$1 dir start end mode col n i data subf script out files=() ev d evf
	feat_have gnuplot || return 0
	traffic_dir_to dir "$tag"
	fact_var start "$tag.start_ms" || return 0
	fact_var end "$tag.end_ms" || now_ms_to end
	fact_var mode "$tag.mode"
	case $mode in
	download) col=3 ;;
	bidir) col=0 ;;
	*) col=2 ;;
	esac
	n=${TOPO_PATHS:-0}
	for ((i = 1; i <= n; i++)); do
		[[ -s $MPTH_RUN_DIR/samples/p$i ]] && files+=("$MPTH_RUN_DIR/samples/p$i")
	done
	((${#files[@]})) || return 0
	data=$dir/plot-rates.dat
	subf=$dir/plot-subflows.dat
	__plot_rates "$start" "$end" "$col" "${files[@]}" >"$data"
	# shellcheck disable=SC2016 # a jq filter: $s is its variable
	traffic_client_info "$tag" -r --argjson s "$start" \
		'"\((.t_ms - $s) / 1000) \(.subflows)"' >"$subf"
	out=$MPTH_ART_DIR/timeline-$tag
	script=$dir/plot.gp
	evf=$MPTH_RUN_DIR/events
	[[ -r $evf ]] || evf=/dev/null
	{
		printf 'set title "%s: %s (%s)" noenhanced\n' "$MPTH_SCENARIO" "$tag" "$mode"
		echo 'set xlabel "time since start (s)"'
		echo 'set ylabel "throughput per path (Mbit/s)"'
		echo 'set y2label "subflows"'
		echo 'set y2tics 1'
		echo 'set ytics nomirror'
		echo 'set yrange [0:*]'
		echo 'set y2range [0:*]'
		echo 'set key outside bottom center horizontal'
		echo 'set grid'
		# One marker per event of this run, labelled.
		# Seconds since the start, with ms: integer arithmetic (no fork).
		while IFS=$'\t' read -r ev kind path _; do
			((ev >= start && ev <= end)) || continue
			d=$((ev - start))
			printf 'set arrow from %d.%03d, graph 0 to %d.%03d, graph 1 nohead dt 2 lc rgb "red"\n' \
				$((d / 1000)) $((d % 1000)) $((d / 1000)) $((d % 1000))
			d=$((d + 50))
			printf 'set label "%s p%s" at %d.%03d, graph 0.97 rotate by 90 right front tc rgb "red" font ",8"\n' \
				"$kind" "$path" $((d / 1000)) $((d % 1000))
		done <"$evf"
		printf 'plot '
		for ((i = 1; i <= ${#files[@]}; i++)); do
			printf '"%s" using 1:%d with lines lw 2 title "path %d", ' "$data" $((i + 1)) "$i"
		done
		printf '"%s" using 1:2 axes x1y2 with steps lw 2 lc rgb "black" title "subflows"\n' "$subf"
	} >"$script"
	# One gnuplot for both pictures: the SVG, then the same plot again as
	# PNG (pngcairo, else the plain png terminal).
	gnuplot -e "set terminal svg size 1000,500; set output '$out.svg'" "$script" \
		-e "set terminal pngcairo size 1000,500; set output '$out.png'; replot" 2>>"$dir/plot.log" ||
		gnuplot -e "set terminal png size 1000,500; set output '$out.png'" "$script" 2>>"$dir/plot.log"
	return 0
}
