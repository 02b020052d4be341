package dev.sae4j.report;

import static dev.sae4j.report.Fmt.html;

import dev.sae4j.report.Figures.Figure;
import dev.sae4j.report.ReportData.Comparison;
import dev.sae4j.report.ReportData.Context;
import dev.sae4j.report.ReportData.Dashboard;
import dev.sae4j.report.ReportData.Effect;
import dev.sae4j.report.ReportData.FinalMetrics;
import dev.sae4j.report.ReportData.SaeResult;
import dev.sae4j.report.ReportData.Stage;
import dev.sae4j.report.ReportData.TokenValue;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Renders a self-contained {@code index.html}: inline CSS, figures as base64 PNG data URIs, and a
 * small inline script for the dashboards (feature selector; clicking a single-latent row of a
 * causal table shows that latent's dashboard; token hover shows its activation). Dashboard
 * histograms are inline SVG. All text from the data is HTML-escaped.
 */
public final class HtmlReport {
  private HtmlReport() {}

  private static final String CSS = """
      body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}
      table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 6px}
      .nm{color:#999;font-style:italic}.tok{padding:0 1px;border-radius:2px}
      .dash{display:none}.dash.on{display:block}.notrun{color:#a60}.failed{color:#b00}
      img{max-width:100%}#tokinfo{font-family:monospace;min-height:1.2em}
      tr.dashlink{cursor:pointer}tr.dashlink:hover{background:#fef3e6}
      .why.causal{color:#064}.why.frequent{color:#a60}svg.hist rect.bar{fill:#e88a2e}
      svg.hist text{font-size:10px;fill:#555}.dash table{display:inline-table;margin-right:1em}
      """;

  private static final String JS = """
      function sae4jShow(id){document.querySelectorAll('.dash').forEach(function(d){
        d.classList.toggle('on', d.id===id);});var s=document.getElementById('featsel');
        if(s&&s.value!==id){s.value=id;}}
      document.addEventListener('DOMContentLoaded',function(){
        var s=document.getElementById('featsel');
        if(s){s.addEventListener('change',function(){sae4jShow(s.value);});sae4jShow(s.value);}
        document.querySelectorAll('[data-dash]').forEach(function(r){r.addEventListener('click',
          function(){sae4jShow(r.dataset.dash);var h=document.getElementById('dashboards');
            if(h&&h.scrollIntoView){h.scrollIntoView();}});});
        document.querySelectorAll('.tok').forEach(function(t){t.addEventListener('mouseover',
          function(){document.getElementById('tokinfo').textContent=
            'token '+JSON.stringify(t.textContent)+' activation '+t.dataset.act;});});});
      """;

  /** Renders the page. */
  public static String render(ReportData d, List<Figure> figures) {
    StringBuilder b = new StringBuilder();
    b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
        .append(html(d.studyName())).append("</title><style>").append(CSS)
        .append("</style></head><body>\n");
    b.append("<h1>").append(html(d.studyName())).append("</h1>\n<p>Run ")
        .append(html(d.runDate())).append(" on ").append(html(d.machine())).append("</p>\n");

    b.append("<h2 id=\"stages\">Stages</h2>\n<ul>\n");
    for (Stage s : d.stages()) {
      String cls = switch (s.status()) {
        case DONE -> "done";
        case FAILED -> "failed";
        case NOT_RUN -> "notrun";
      };
      b.append("<li class=\"").append(cls).append("\">").append(html(s.name())).append(": ")
          .append(ReportWriter.stageText(s).replace(s.name() + ": ", "").transform(Fmt::html))
          .append("</li>\n");
    }
    b.append("</ul>\n");

    b.append("<h2 id=\"findings\">Findings</h2>\n<ul>\n");
    for (String f : Findings.sentences(d)) {
      b.append("<li class=\"finding\">").append(html(f)).append("</li>\n");
    }
    b.append("</ul>\n");

    b.append("<h2 id=\"metrics\">SAE metrics</h2>\n<table><tr><th>SAE</th><th>dataset</th>"
        + "<th>FVU</th><th>L0</th><th>dead %</th><th>dense %</th><th>duplicates %</th>"
        + "<th>CE loss score</th>"
        + "<th>KL div score</th></tr>\n");
    for (SaeResult s : d.saes()) {
      FinalMetrics m = s.metrics();
      b.append("<tr><td>").append(html(s.id().label())).append("</td><td>")
          .append(html(s.id().dataset())).append("</td>");
      for (ReportData.Measured v : m == null ? new ReportData.Measured[7]
          : new ReportData.Measured[] {m.fvu(), m.l0(), m.deadPct(), m.densePct(),
              m.duplicatePct(), m.ceLossScore(), m.klDivScore()}) {
        b.append(cell(Fmt.measured(v)));
      }
      b.append("</tr>\n");
    }
    b.append("</table>\n");

    b.append("<h2 id=\"causal\">Causal effects</h2>\n");
    java.util.Map<String, String> dashIds = dashboardIds(d);
    int saeIndex = -1;
    for (SaeResult s : d.saes()) {
      saeIndex++;
      b.append("<h3>").append(html(s.id().label())).append("</h3>\n");
      if (s.causal() == null) {
        b.append("<p class=\"nm\">").append(Fmt.NOT_MEASURED).append("</p>\n");
        continue;
      }
      b.append("<p>Spearman AtP vs exact: ").append(cell0(Fmt.opt(s.causal().spearmanAtp())))
          .append("; IG vs exact: ").append(cell0(Fmt.opt(s.causal().spearmanIg())))
          .append("</p>\n<table><tr><th>#</th><th>latents</th><th>metric</th><th>mean delta</th>"
              + "<th>95% CI</th><th>null</th><th>p</th><th>q</th><th>random direction</th></tr>\n");
      int i = 0;
      for (Effect e : s.causal().effects()) {
        String nul = e.nullDeltas() != null ? e.nullDeltas().length + " random sets"
            : e.nullPercentile() != null ? "percentile " + Fmt.num(e.nullPercentile())
            : Fmt.NOT_MEASURED;
        String dash = e.latents().size() == 1 ? dashIds.get(saeIndex + ":" + e.latents().get(0))
            : null;
        b.append(dash == null ? "<tr>" : "<tr class=\"dashlink\" data-dash=\"" + dash
            + "\" title=\"show the dashboard of latent " + e.latents().get(0) + "\">")
            .append("<td>").append(i++).append("</td><td>")
            .append(html(e.latents().toString())).append("</td><td>").append(html(e.metric()))
            .append("</td>").append(cell(Fmt.num(e.meanDelta())))
            .append(cell("[" + Fmt.num(e.ciLow()) + ", " + Fmt.num(e.ciHigh()) + "]"))
            .append(cell(nul)).append(cell(Fmt.opt(e.p()))).append(cell(Fmt.opt(e.q())))
            .append(cell(Fmt.opt(e.randomDirectionDelta()))).append("</tr>\n");
      }
      b.append("</table>\n");
    }

    b.append("<h2 id=\"comparisons\">Cross-SAE comparisons</h2>\n");
    if (d.comparisons().isEmpty()) {
      b.append("<p class=\"nm\">").append(Fmt.NOT_MEASURED).append("</p>\n");
    } else {
      b.append("<table><tr><th>a</th><th>b</th><th>MMCS</th><th>one-to-one cosine</th>"
          + "<th>random baseline</th><th>share above threshold</th></tr>\n");
      for (Comparison c : d.comparisons()) {
        b.append("<tr><td>").append(html(c.a())).append("</td><td>").append(html(c.b()))
            .append("</td>").append(cell(Fmt.measured(c.mmcs())))
            .append(cell(Fmt.opt(c.oneToOneCosine()))).append(cell(Fmt.opt(c.randomBaseline())))
            .append(cell(Fmt.opt(c.shareAboveThreshold())
                + (c.threshold() == null ? "" : " (t = " + Fmt.num(c.threshold()) + ")")))
            .append("</tr>\n");
      }
      b.append("</table>\n");
    }

    UniversalityReport.htmlSection(b, d);

    b.append("<h2 id=\"figures\">Figures</h2>\n");
    for (Figure f : figures) {
      b.append("<figure><img class=\"fig\" alt=\"").append(html(f.title()))
          .append("\" src=\"data:image/png;base64,")
          .append(Base64.getEncoder().encodeToString(f.png())).append("\"><figcaption>")
          .append(html(f.title())).append("</figcaption></figure>\n");
    }

    renderDashboards(b, d);
    b.append("<script>").append(JS).append("</script>\n</body></html>\n");
    return b.toString();
  }

  /** Dashboard element ids, keyed by {@code "<sae index>:<latent>"}, in rendering order. */
  private static java.util.Map<String, String> dashboardIds(ReportData d) {
    java.util.Map<String, String> ids = new java.util.LinkedHashMap<>();
    int n = 0;
    for (int i = 0; i < d.saes().size(); i++) {
      for (Dashboard db : d.saes().get(i).dashboards()) {
        ids.putIfAbsent(i + ":" + db.latent(), "dash" + n);
        n++;
      }
    }
    return ids;
  }

  private static void renderDashboards(StringBuilder b, ReportData d) {
    b.append("<h2 id=\"dashboards\">Feature dashboards</h2>\n");
    List<String[]> opts = new java.util.ArrayList<>();
    StringBuilder body = new StringBuilder();
    int n = 0;
    for (SaeResult s : d.saes()) {
      for (Dashboard db : s.dashboards()) {
        String id = "dash" + n++;
        String kind = db.selection() == null ? "" : db.causal() ? " [causal]" : " [not causal]";
        opts.add(new String[] {id, s.id().label() + " latent " + db.latent() + kind});
        body.append("<div class=\"dash\" id=\"").append(id).append("\"><h3>")
            .append(html(s.id().label())).append(" latent ").append(db.latent()).append("</h3>\n");
        if (db.selection() != null) {
          body.append("<p class=\"why ").append(db.causal() ? "causal" : "frequent")
              .append("\">").append(html(db.selection())).append("</p>\n");
        }
        body.append("<p>Fires on ").append(cell0(db.firingFrequency() == null ? Fmt.NOT_MEASURED
            : Fmt.num(100 * db.firingFrequency()) + "%")).append(" of tokens; max activation ")
            .append(Fmt.num(db.histMax())).append(".</p>\n");
        // Highlight relative to the largest activation measured (the top context's peak).
        double max = db.histMax() > 0 ? db.histMax() : 1e-12;
        for (Context c : db.topContexts()) {
          for (double a : c.activations()) max = Math.max(max, a);
        }
        if (db.topContexts().isEmpty()) {
          body.append("<p class=\"nm\">never fires on the measured tokens</p>\n");
        }
        for (Context c : db.topContexts()) {
          body.append("<p class=\"ctx\">");
          for (int t = 0; t < c.tokens().size(); t++) {
            double a = c.activations()[t];
            double alpha = Math.max(0, Math.min(1, a / max));
            body.append("<span class=\"tok\" data-act=\"").append(Fmt.num(a))
                .append("\" style=\"background:rgba(255,120,0,")
                .append(String.format(java.util.Locale.ROOT, "%.2f", alpha)).append(")\">")
                .append(html(c.tokens().get(t))).append("</span>");
          }
          body.append("</p>\n");
        }
        body.append(histogramSvg(db));
        body.append("<p>Activation histogram (nonzero activations, ").append(Fmt.num(db.histMin()))
            .append(" to ").append(Fmt.num(db.histMax())).append("): ")
            .append(html(java.util.Arrays.stream(db.histogram()).mapToObj(Fmt::num)
                .collect(Collectors.joining(" "))))
            .append("</p>\n<p class=\"nm\">Output tokens: decoder row times unembedding"
                + " (logit lens; the final layer norm is ignored, so this is a hint, not a"
                + " measured effect).</p>\n<table><tr><th>boosted</th><th>logit</th>"
                + "<th>suppressed</th><th>logit</th></tr>\n");
        int rows = Math.max(db.boosted().size(), db.suppressed().size());
        for (int r = 0; r < rows; r++) {
          body.append("<tr>").append(tokCells(db.boosted(), r)).append(tokCells(db.suppressed(), r))
              .append("</tr>\n");
        }
        body.append("</table></div>\n");
      }
    }
    if (opts.isEmpty()) {
      b.append("<p class=\"nm\">").append(Fmt.NOT_MEASURED).append("</p>\n");
      return;
    }
    b.append("<p>Pick a feature here, or click a single-latent row of a causal-effects table."
        + "</p>\n<select id=\"featsel\">");
    for (String[] o : opts) {
      b.append("<option value=\"").append(o[0]).append("\">").append(html(o[1]))
          .append("</option>");
    }
    b.append("</select>\n<div id=\"tokinfo\"></div>\n").append(body);
  }

  /** The histogram as an inline SVG bar chart (bar height proportional to count). */
  private static String histogramSvg(Dashboard db) {
    double[] h = db.histogram();
    int w = 320;
    int top = 12;
    int plot = 70;
    StringBuilder b = new StringBuilder("<svg class=\"hist\" width=\"" + w + "\" height=\""
        + (top + plot + 14) + "\" viewBox=\"0 0 " + w + " " + (top + plot + 14)
        + "\" role=\"img\" aria-label=\"activation histogram\">");
    double peak = 0;
    for (double c : h) peak = Math.max(peak, c);
    double bw = h.length == 0 ? 0 : (double) w / h.length;
    double step = h.length == 0 ? 0 : (db.histMax() - db.histMin()) / h.length;
    for (int i = 0; i < h.length; i++) {
      double bh = peak > 0 ? plot * h[i] / peak : 0;
      b.append(String.format(java.util.Locale.ROOT,
          "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">",
          i * bw, top + plot - bh, Math.max(0.5, bw - 1), bh))
          .append("<title>").append(html(Fmt.num(db.histMin() + i * step) + " to "
              + Fmt.num(db.histMin() + (i + 1) * step) + ": " + Fmt.num(h[i])))
          .append("</title></rect>");
    }
    b.append("<text x=\"0\" y=\"10\">count max ").append(html(Fmt.num(peak)))
        .append("</text><text x=\"0\" y=\"").append(top + plot + 12).append("\">")
        .append(html(Fmt.num(db.histMin()))).append("</text><text x=\"").append(w)
        .append("\" y=\"").append(top + plot + 12).append("\" text-anchor=\"end\">")
        .append(html(Fmt.num(db.histMax()))).append("</text></svg>\n");
    return b.toString();
  }

  private static String tokCells(List<TokenValue> l, int r) {
    if (r >= l.size()) return "<td></td><td></td>";
    // Spaces and newlines made visible: many output tokens are " word" or whitespace.
    return "<td><code>" + html(l.get(r).token().replace(' ', '\u2423').replace("\n", "\u23ce"))
        + "</code></td><td>" + Fmt.num(l.get(r).value()) + "</td>";
  }

  private static String cell(String s) {
    return "<td>" + cell0(s) + "</td>";
  }

  private static String cell0(String s) {
    return Fmt.NOT_MEASURED.equals(s) ? "<span class=\"nm\">" + s + "</span>" : html(s);
  }
}
