package dev.sae4j.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sae4j.causal.CarryCheckReport;
import dev.sae4j.causal.CausalReport;
import dev.sae4j.dashboard.ActivatingContext;
import dev.sae4j.dashboard.Band;
import dev.sae4j.dashboard.DashboardSet;
import dev.sae4j.dashboard.LatentDashboard;
import dev.sae4j.dashboard.Neighbour;
import dev.sae4j.dashboard.TokenLogit;
import dev.sae4j.report.ReportData.SaeRun;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The dashboard browser of {@code index.html}: one data file per SAE, {@code dashboards/<n>.js} (n
 * = the SAE's index in the report), which assigns {@code window.SAE4J_DASH["<n>"]} and is loaded by
 * adding a script tag when its SAE is first shown, so the page opens fast from a local file
 * (browsers refuse to fetch JSON from {@code file://}, but load scripts). The data joins the
 * dashboard job's {@code dashboards.json} with the causal effects, the rank check, the carry
 * check's per-latent F1 and the evaluation firing; its schema is in docs/design.md ("Dashboard
 * data").
 */
final class DashboardPage {
  /** Version of the data files' schema. */
  static final int SCHEMA = 1;

  private static final ObjectMapper JSON = new ObjectMapper();

  private DashboardPage() {}

  /** The browser's controls and containers (the script is {@link #SCRIPT}). */
  static String html(ReportData d) {
    StringBuilder b = new StringBuilder();
    b.append(
        "<p>Every live latent of every SAE: pick an SAE, search a latent by its index, or sort the"
            + " list and click a row. Each dashboard shows the top-activating contexts, samples"
            + " from three lower activation bands, the activation histogram, the logit effects"
            + " through the final norm, the five nearest latents by decoder cosine, the measured"
            + " causal effect where the causal stage tested the latent, and its F1 as a detector of"
            + " each known carry. Links in the causal tables open the latent here.</p>\n");
    b.append("<div class=\"dashctl\"><label>SAE <select id=\"dash-sae\">");
    for (int i = 0; i < d.saes().size(); i++) {
      SaeRun s = d.saes().get(i);
      if (s.dashboards() != null) {
        b.append("<option value=\"")
            .append(i)
            .append("\">")
            .append(Fmt.html(d.label(s)))
            .append("</option>");
      }
    }
    b.append(
        "</select></label> <label>latent <input id=\"dash-search\" type=\"number\""
            + " min=\"0\" placeholder=\"index\"></label> <button id=\"dash-go\">show</button>"
            + " <label>sort by <select id=\"dash-sort\"><option value=\"freq\">firing frequency"
            + "</option><option value=\"effect\">causal effect</option><option value=\"carry\">"
            + "carry F1</option><option value=\"index\">index</option></select></label></div>\n"
            + "<p id=\"dash-status\" class=\"muted\">Loading dashboards…</p>\n"
            + "<div class=\"dashwrap\"><div id=\"dash-list\"></div><div id=\"dash-view\"></div>"
            + "</div>\n");
    return b.toString();
  }

  /** The data file of SAE {@code index}, read from its dashboard job in {@code runDir}. */
  static String data(ReportData d, int index, Path runDir) throws IOException {
    SaeRun s = d.saes().get(index);
    DashboardSet set = DashboardSet.read(runDir.resolve(s.dashboards()));
    Map<String, Integer> pieceIds = new LinkedHashMap<>();
    Map<Integer, CausalReport.Effect> effects = new HashMap<>();
    Map<Integer, Double> rankDrops = new HashMap<>();
    if (s.causal() != null) {
      for (CausalReport.Effect e : s.causal().effects()) {
        if (e.latents().length == 1) {
          effects.put(e.latents()[0], e);
        }
      }
      for (CausalReport.RankPair p : s.causal().rankPairs()) {
        rankDrops.put(p.latent(), -p.exactMeanDelta());
      }
    }
    List<CarryCheckReport.Column> carry =
        s.carry() != null && s.carry().done()
            ? s.carry().columns().stream().filter(c -> c.latentF1() != null).toList()
            : List.of();
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("schema", SCHEMA);
    root.put("label", d.label(s));
    root.put("id", s.id());
    root.put("dSae", set.dSae());
    root.put("tokens", set.tokens());
    root.put("texts", set.texts());
    root.put("dead", set.dead());
    root.put("logitEffect", set.logitEffect());
    root.put("bandRule", set.bandRule());
    root.put("evalTokens", s.evalFiring() == null ? null : s.evalFiring().tokens());
    root.put("carryColumns", carry.stream().map(CarryCheckReport.Column::column).toList());
    List<Map<String, Object>> latents = new ArrayList<>();
    for (LatentDashboard l : set.dashboards()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("i", l.latent());
      o.put("n", l.firing());
      o.put("f", round(set.frequency(l)));
      o.put("ef", s.evalFiring() == null ? null : round(s.evalFiring().frequency(l.latent())));
      o.put("max", round(l.maxActivation()));
      o.put("top", contexts(l.top(), pieceIds));
      List<Object> bands = new ArrayList<>();
      for (Band b : l.bands()) {
        bands.add(
            List.of(round(b.low()), round(b.high()), b.count(), contexts(b.samples(), pieceIds)));
      }
      o.put("bands", bands);
      o.put("hist", l.histogram().counts());
      o.put("up", logits(l.boosted(), pieceIds));
      o.put("down", logits(l.suppressed(), pieceIds));
      List<Object> near = new ArrayList<>();
      for (Neighbour n : l.nearest()) {
        near.add(List.of(n.latent(), round(n.cosine())));
      }
      o.put("near", near);
      CausalReport.Effect e = effects.get(l.latent());
      o.put("eff", e == null || e.meanDelta() == null ? null : effect(e));
      o.put("rk", rankDrops.containsKey(l.latent()) ? round(rankDrops.get(l.latent())) : null);
      if (!carry.isEmpty()) {
        List<Double> f1 = new ArrayList<>();
        for (CarryCheckReport.Column c : carry) {
          f1.add(round(c.latentF1()[l.latent()]));
        }
        o.put("carry", f1);
      }
      latents.add(o);
    }
    root.put("pieces", new ArrayList<>(pieceIds.keySet()));
    root.put("latents", latents);
    return "window.SAE4J_DASH = window.SAE4J_DASH || {};\nwindow.SAE4J_DASH[\""
        + index
        + "\"] = "
        + json(root)
        + ";\n";
  }

  private static Map<String, Object> effect(CausalReport.Effect e) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("drop", round(e.drop()));
    o.put("lo", e.ciHigh() == null ? null : round(-e.ciHigh()));
    o.put("hi", e.ciLow() == null ? null : round(-e.ciLow()));
    o.put("n", e.n());
    o.put("clean", e.cleanCorrect());
    o.put("ablated", e.ablatedCorrect());
    o.put("controls", e.nullSets());
    o.put("controlDrop", e.nullMeanDelta() == null ? null : round(-e.nullMeanDelta()));
    o.put("q", e.qEmpirical() == null ? null : round(e.qEmpirical()));
    o.put("qp", e.qParametric() == null ? null : round(e.qParametric()));
    return o;
  }

  private static List<Object> contexts(List<ActivatingContext> cs, Map<String, Integer> ids) {
    List<Object> out = new ArrayList<>();
    for (ActivatingContext c : cs) {
      List<Integer> pieces = new ArrayList<>();
      for (String t : c.tokens()) {
        pieces.add(ids.computeIfAbsent(t, k -> ids.size()));
      }
      List<Double> acts = new ArrayList<>();
      for (float a : c.activations()) {
        acts.add(round(a));
      }
      out.add(List.of(c.window(), c.peak(), pieces, acts));
    }
    return out;
  }

  private static List<Object> logits(List<TokenLogit> ts, Map<String, Integer> ids) {
    List<Object> out = new ArrayList<>();
    for (TokenLogit t : ts) {
      out.add(List.of(ids.computeIfAbsent(t.token(), k -> ids.size()), round(t.logit())));
    }
    return out;
  }

  /** Four significant digits: the page shows no more, and the files stay small. */
  static double round(double v) {
    if (v == 0 || !Double.isFinite(v)) {
      return v;
    }
    return Double.parseDouble(String.format(Locale.ROOT, "%.4g", v));
  }

  private static String json(Object o) {
    try {
      // Closing script tags in token texts must not end the data script.
      return JSON.writeValueAsString(o).replace("</", "<\\/");
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The browser's script (no external resources). */
  static final String SCRIPT =
      """
      (function(){
      var D=window.SAE4J_DASH=window.SAE4J_DASH||{};
      var PAGE=20;var st={sae:null,sort:'freq',page:0,latent:null};
      function $(id){return document.getElementById(id);}
      function esc(t){return String(t).replace(/[&<>"']/g,function(c){return{'&':'&amp;',
        '<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c];});}
      function num(v){if(v===null||v===undefined)return 'not measured';var a=Math.abs(v);
        if(v!==0&&(a<1e-3||a>=1e6))return v.toExponential(1);
        return String(parseFloat(v.toPrecision(4)));}
      function pct(v){return v===null||v===undefined?'not measured':
        (100*v>=10||v===0?(100*v).toFixed(1):String(parseFloat((100*v).toPrecision(2))))+'%';}
      function status(t){$('dash-status').textContent=t;}
      function load(i,cb){if(D[i]){cb(D[i]);return;}status('Loading dashboards…');
        var s=document.createElement('script');s.src='dashboards/'+i+'.js';
        s.onload=function(){cb(D[i]);};
        s.onerror=function(){status('Could not load dashboards/'+i+'.js next to this page.');};
        document.head.appendChild(s);}
      function best(l){if(!l.carry)return null;var b=0,k=-1;
        l.carry.forEach(function(v,j){if(v>b){b=v;k=j;}});return k<0?null:[k,b];}
      function effect(l){return l.eff?l.eff.drop:(l.rk!==null&&l.rk!==undefined?l.rk:null);}
      function order(data){var a=data.latents.slice();var key={
        freq:function(l){return -l.f;},index:function(l){return l.i;},
        effect:function(l){var e=effect(l);return e===null?Infinity:-e;},
        carry:function(l){var b=best(l);return b?-b[1]:Infinity;}}[st.sort];
        a.sort(function(x,y){var p=key(x),q=key(y);return p<q?-1:p>q?1:x.i-y.i;});return a;}
      function ctx(data,c){var m=0;c[3].forEach(function(v){m=Math.max(m,v);});m=m||1;
        var h='<span class="ctx">';c[2].forEach(function(p,k){var a=c[3][k];
          h+='<span class="tok'+(k===c[1]?' peak':'')+'" style="background:rgba(213,94,0,'
            +Math.max(0,Math.min(1,a/m)).toFixed(2)+')" title="activation '+num(a)+'">'
            +esc(data.pieces[p]).replace(/ /g,'\\u2423').replace(/\\n/g,'\\u23ce')
            +'</span>';});return h+'</span>';}
      function hist(l){var w=260,h=70,c=l.hist,peak=0;
        c.forEach(function(v){peak=Math.max(peak,v);});
        var bw=w/c.length,s='<svg class="hist" viewBox="0 0 '+(w+10)+' '+(h+30)+'" width="'
          +(w+10)+'" height="'+(h+30)+'" role="img" aria-label="activation histogram">';
        c.forEach(function(v,k){var bh=peak?h*v/peak:0;s+='<rect x="'+(5+k*bw).toFixed(1)
          +'" y="'+(4+h-bh).toFixed(1)+'" width="'+Math.max(0.5,bw-1).toFixed(1)+'" height="'
          +bh.toFixed(1)+'" fill="#D55E00"><title>'+num(k*l.max/c.length)+' to '
          +num((k+1)*l.max/c.length)+': '+v+'</title></rect>';});
        s+='<text x="5" y="'+(h+18)+'" font-size="11">0</text><text x="'+(w+5)+'" y="'+(h+18)
          +'" font-size="11" text-anchor="end">'+num(l.max)+'</text><text x="'+(5+w/2)
          +'" y="'+(h+28)+'" font-size="11" text-anchor="middle">activation</text></svg>';
        return s;}
      function view(data,l){var h='<h3>'+esc(data.label)+' · latent '+l.i+'</h3><p>Fires on '
          +pct(l.f)+' of '+data.tokens.toLocaleString('en')+' tokens ('+l.n.toLocaleString('en')
          +')'+(l.ef!==null&&l.ef!==undefined?', '+pct(l.ef)+' of the evaluation tokens':'')
          +'; largest activation '+num(l.max)+'.</p>';
        if(l.eff){var e=l.eff;h+='<p class="eff"><b>Causal effect:</b> ablating it lowers the'
          +' gold-answer log-prob by '+num(e.drop)+' nats [95% CI '+num(e.lo)+', '+num(e.hi)
          +'] over '+e.n+' held-out problems (right answers '+e.clean+' → '+e.ablated+'); its '
          +e.controls+' frequency-matched controls lower it by '+num(e.controlDrop)
          +' on average; empirical q '+num(e.q)+', parametric q '+num(e.qp)+'.</p>';}
        else if(l.rk!==null&&l.rk!==undefined){h+='<p class="eff"><b>Causal effect:</b>'
          +' ablating it lowers the gold-answer log-prob by '+num(l.rk)+' nats (rank check:'
          +' exact, without controls).</p>';}
        else{h+='<p class="muted">Not causally tested (the causal stage ablates the most'
          +' promising latents only).</p>';}
        var b=best(l);if(b){h+='<p class="carry"><b>Best-matching known variable:</b> carry into'
          +' column '+data.carryColumns[b[0]]+' (F1 '+num(b[1])+' as a detector; '
          +data.carryColumns.map(function(c,k){return 'column '+c+': '+num(l.carry[k]);})
            .join(', ')+').</p>';}
        else if(l.carry){h+='<p class="muted">Detects no carry (F1 0 for every column).</p>';}
        h+='<div class="dashrow"><div><h4>Top activations</h4>';
        l.top.forEach(function(c){h+='<div>'+ctx(data,c)+'</div>';});
        h+='</div><div><h4>Activation histogram</h4>'+hist(l)+'</div></div>';
        h+='<h4>Lower activation bands</h4>';
        l.bands.forEach(function(bd){h+='<p class="band">'+num(bd[0])+' to '+num(bd[1])+': '
          +bd[2].toLocaleString('en')+' positions'+(bd[3].length?'':' (none sampled)')+'</p>';
          bd[3].forEach(function(c){h+='<div>'+ctx(data,c)+'</div>';});});
        h+='<h4>Logit effects</h4><p class="muted">'+esc(data.logitEffect)+'.</p>'
          +'<table class="logits"><tr><th>raises</th><th>logit</th><th>lowers</th><th>logit</th>'
          +'</tr>';for(var r=0;r<Math.max(l.up.length,l.down.length);r++){h+='<tr>';
          [l.up[r],l.down[r]].forEach(function(t){h+=t?'<td><code>'+esc(data.pieces[t[0]])
            .replace(/ /g,'\\u2423').replace(/\\n/g,'\\u23ce')+'</code></td><td>'+num(t[1])
            +'</td>':'<td></td><td></td>';});h+='</tr>';}
        h+='</table><h4>Nearest latents by decoder cosine</h4><p>';
        h+=l.near.map(function(n){return '<a href="#dash='+st.sae+':'+n[0]+'">latent '+n[0]
          +'</a> ('+num(n[1])+')';}).join(', ')+'</p>';
        var v=$('dash-view');v.innerHTML=h;v.setAttribute('data-latent',String(l.i));}
      function list(data){var a=order(data),n=a.length,p=Math.min(st.page,
          Math.max(0,Math.ceil(n/PAGE)-1));st.page=p;
        var h='<table class="dashlist"><tr><th>latent</th><th>fires</th><th>effect</th>'
          +'<th>carry F1</th></tr>';
        a.slice(p*PAGE,(p+1)*PAGE).forEach(function(l){var b=best(l),e=effect(l);
          h+='<tr data-latent="'+l.i+'"><td>'+l.i+'</td><td>'+pct(l.f)+'</td><td>'
            +(e===null?'':num(e))+'</td><td>'+(b?num(b[1]):'')+'</td></tr>';});
        h+='</table><p><button id="dash-prev">◀</button> '+(p*PAGE+1)+'–'+Math.min(n,(p+1)*PAGE)
          +' of '+n+' live latents <button id="dash-next">▶</button></p>';
        $('dash-list').innerHTML=h;
        $('dash-list').querySelectorAll('tr[data-latent]').forEach(function(r){
          r.addEventListener('click',function(){show(+r.getAttribute('data-latent'));});});
        $('dash-prev').onclick=function(){st.page=Math.max(0,st.page-1);list(data);};
        $('dash-next').onclick=function(){st.page=st.page+1;list(data);};}
      function find(data,i){for(var k=0;k<data.latents.length;k++){
        if(data.latents[k].i===i)return data.latents[k];}return null;}
      function show(i){load(st.sae,function(data){var l=find(data,i);
        if(l){st.latent=i;view(data,l);status(data.label+': '+data.latents.length
          +' live latents of '+data.dSae+' ('+data.dead+' never fired on '
          +data.tokens.toLocaleString('en')+' tokens).');}
        else if(i>=0&&i<data.dSae){status('Latent '+i+' of '+data.label+' never fired on the '
          +data.tokens.toLocaleString('en')+' measured tokens (dead): it has no dashboard.');}
        else{status(data.label+' has no latent '+i+' (latents 0 to '+(data.dSae-1)+').');}});}
      function pick(sae,latent){st.sae=sae;st.page=0;$('dash-sae').value=sae;
        load(sae,function(data){list(data);show(latent!==undefined?latent:
          order(data)[0].i);});}
      function route(){var m=/^#dash=(\\d+):(\\d+)$/.exec(location.hash);if(m){pick(m[1],+m[2]);
        var s=$('dashboards');if(s&&s.scrollIntoView)s.scrollIntoView();return true;}return false;}
      document.addEventListener('DOMContentLoaded',function(){if(!$('dash-sae'))return;
        $('dash-sae').addEventListener('change',function(){pick($('dash-sae').value);});
        $('dash-sort').addEventListener('change',function(){st.sort=$('dash-sort').value;
          st.page=0;load(st.sae,list);});
        function go(){var v=$('dash-search').value;if(v!=='')show(parseInt(v,10));}
        $('dash-go').addEventListener('click',go);
        $('dash-search').addEventListener('keydown',function(e){if(e.key==='Enter')go();});
        window.addEventListener('hashchange',route);
        if(!route())pick($('dash-sae').value);});
      window.sae4jShowLatent=function(sae,latent){pick(String(sae),latent);};
      })();
      """;
}
