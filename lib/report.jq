# The run's HTML report (see lib/report.sh). Inputs: $s[0], the run's
# summary.json; $x, one object per scenario run, in the same order, with
# what it left (lib/report.sh's __report_extras); $kernel, $when.

def h: tostring | @html;

def status_of:
	if .failed > 0 then "fail"
	elif .passed == 0 and .skipped > 0 then "skip"
	else "pass" end;

def secs: if . == null then "" else (. * 10 | round / 10 | tostring) + " s" end;

def op_text:
	{"-ge": "at least", "-gt": "more than", "-le": "at most", "-lt": "less than",
	 "-eq": "exactly", "-ne": "not", "=": "equal to", "!=": "not equal to",
	 "=~": "matching"}[.] // .;

def checks_table:
	if length == 0 then ""
	else "<table class=\"checks\"><tr><th>check</th><th>got</th><th>wanted</th><th></th></tr>"
		+ (map("<tr class=\"\(.status | h)\"><td>\(.what | h)</td><td>\(.got | h)</td>"
			+ "<td>\(.op | op_text | h) \(.bound | h)</td><td>\(.status | h)</td></tr>") | join(""))
		+ "</table>"
	end;

def tests_table($sc):
	if ($sc.tests | length) == 0 then
		"<p class=\"none\">No per-test results"
		+ (if $sc.skip_reason then ": \($sc.skip_reason | h)" else "" end) + ".</p>"
	else "<table class=\"tests\"><tr><th>#</th><th>status</th><th>test</th><th>time</th></tr>"
		+ ($sc.tests | map(
			"<tr class=\"test \(.status)\" data-status=\"\(.status)\" data-name=\"\(.name | h)\">"
			+ "<td>\(.number)</td><td class=\"st \(.status)\">\(.status)</td><td>\(.name | h)"
			+ (if .skip_reason then "<div class=\"why\">skipped: \(.skip_reason | h)</div>" else "" end)
			+ (.checks | checks_table)
			+ "</td><td class=\"num\">\(.seconds | secs)</td></tr>") | join(""))
		+ "</table>"
	end;

# The event log: epoch ms, kind, where, detail; times from the first event.
def events_table:
	(split("\n") | map(select(length > 0) | split("\t"))) as $ev
	| if ($ev | length) == 0 then ""
	else ($ev[0][0] | tonumber? // 0) as $t0
		| "<h4>Events</h4><table class=\"events\"><tr><th>t (s)</th><th>event</th><th>where</th><th>detail</th></tr>"
		+ ($ev | map("<tr><td class=\"num\">\(((.[0] | tonumber? // $t0) - $t0) / 1000)</td>"
			+ "<td>\(.[1] // "" | h)</td><td>\(.[2] // "" | h)</td><td>\(.[3:] | join(" ") | h)</td></tr>") | join(""))
		+ "</table>"
	end;

def scenario($sc; $x):
	($sc | status_of) as $st
	| "<section class=\"scenario \($st)\" id=\"run-\($x.dir | h)\" data-scenario=\"\($sc.name | h)\" data-status=\"\($st)\">"
	+ "<h2><span class=\"st \($st)\">\($st)</span> \($sc.name | h)"
	+ (if $sc.iteration > 1 then " (run \($sc.iteration))" else "" end) + "</h2>"
	+ "<p>\($sc.passed) passed, \($sc.failed) failed, \($sc.skipped) skipped in \($sc.seconds | secs)"
	+ (if $sc.skip_reason then "; \($sc.skip_reason | h)" else "" end) + "</p>"
	+ tests_table($sc)
	+ (if ($x.pictures | length) > 0 then
		"<h4>Timelines</h4>" + ($x.pictures | map(
			"<figure><img alt=\"\(.name | h)\" src=\"data:image/svg+xml;base64,\(.data)\">"
			+ "<figcaption>\(.name | h)</figcaption></figure>") | join(""))
	else "" end)
	+ ($x.events | events_table)
	+ (if ($x.files | length) > 0 then
		"<h4>Files</h4><ul class=\"files\">" + ($x.files | map(
			"<li><a href=\"\($x.dir | @uri)/\(. | @uri | gsub("%2F"; "/"))\">\(. | h)</a></li>") | join(""))
		+ "</ul>"
	else "" end)
	+ (if $x.tap != "" then
		"<details" + (if $st == "fail" then " open" else "" end) + "><summary>TAP</summary><pre>\($x.tap | h)</pre></details>"
	else "" end)
	+ "</section>";

$s[0] as $r
| ($r.scenarios | length) as $n
| "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
+ "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"
+ "<title>mptcp-harness run \($r.run_id | h)</title><style>"
+ "body{font-family:sans-serif;margin:1.5em;max-width:80em}"
+ "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}"
+ ".num{text-align:right;white-space:nowrap}.st.pass{color:#070}.st.fail{color:#b00;font-weight:bold}.st.skip{color:#a60}"
+ "tr.fail{background:#fee}tr.skip{background:#fff6e0}table.checks{font-size:90%}"
+ "img{max-width:100%;border:1px solid #ddd}pre{background:#f6f6f6;padding:.5em;overflow-x:auto;font-size:85%}"
+ ".why{color:#a60}.none{color:#666}"
+ "</style></head>"
+ "<body data-passed=\"\($r.passed)\" data-failed=\"\($r.failed)\" data-skipped=\"\($r.skipped)\">"
+ "<h1>mptcp-harness: \($r.passed) passed, \($r.failed) failed, \($r.skipped) skipped</h1>"
+ "<p>Run \($r.run_id | h), seed \($r.seed), kernel \($kernel | h), written \($when | h)."
+ (if $r.interrupted then " <strong class=\"fail\">Interrupted by \($r.interrupted | h).</strong>" else "" end)
+ " Files: <a href=\"summary.json\">summary.json</a>"
+ (if $n > 0 then ", <a href=\"junit/\">junit/</a>" else "" end) + ".</p>"
+ "<table class=\"summary\"><tr><th>scenario</th><th>passed</th><th>failed</th><th>skipped</th><th>time</th><th>key figures</th></tr>"
+ ([range(0; $n)] | map(. as $i | $r.scenarios[$i] as $sc | $x[$i] as $e
	| ($sc | status_of) as $st | "<tr class=\"\($st)\"><td class=\"st \($st)\"><a href=\"#run-\($e.dir | h)\">\($sc.name | h)"
	+ (if $sc.iteration > 1 then " #\($sc.iteration)" else "" end) + "</a></td>"
	+ "<td class=\"num\">\($sc.passed)</td><td class=\"num\">\($sc.failed)</td><td class=\"num\">\($sc.skipped)</td>"
	+ "<td class=\"num\">\($sc.seconds | secs)</td><td>"
	+ ($sc.figures | to_entries | map("\(.key)=\(.value)") | join(" ") | h)
	+ (if $sc.skip_reason then " \($sc.skip_reason | h)" else "" end) + "</td></tr>") | join(""))
+ "</table>"
+ ([range(0; $n)] | map(. as $i | scenario($r.scenarios[$i]; $x[$i])) | join(""))
# Marks every picture loaded or not, for a reader (and the self-test) to see.
+ "<script>window.addEventListener('load',function(){var m=document.images,k=0,i;"
+ "for(i=0;i<m.length;i++){var g=m[i].complete&&m[i].naturalWidth>0;m[i].setAttribute('data-loaded',g?'yes':'no');if(g)k++}"
+ "document.body.setAttribute('data-images',k+'/'+m.length)});</script>"
+ "</body></html>"
