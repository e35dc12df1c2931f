// The prom-text command: reads a Prometheus text exposition on stdin with Prometheus's own
// parser (github.com/prometheus/common/expfmt, what the Prometheus server scrapes with) and
// writes its metric families as JSON, sorted by name. A malformed exposition is an error that
// says where. The sidecar writes its metrics without a client library; its tests check the
// output with this.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

type promSeries struct {
	Labels  map[string]string `json:"labels"`
	Value   *float64          `json:"value,omitempty"`
	Buckets map[string]uint64 `json:"buckets,omitempty"`
	Sum     *float64          `json:"sum,omitempty"`
	Count   *uint64           `json:"count,omitempty"`
}

type promFamily struct {
	Name   string       `json:"name"`
	Help   string       `json:"help"`
	Type   string       `json:"type"`
	Series []promSeries `json:"series"`
}

func promText() error {
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(os.Stdin)
	if err != nil {
		return fmt.Errorf("not a valid text exposition: %w", err)
	}
	out := []promFamily{}
	for _, family := range families {
		f := promFamily{Name: family.GetName(), Help: family.GetHelp(), Type: family.GetType().String(), Series: []promSeries{}}
		for _, metric := range family.Metric {
			s := promSeries{Labels: map[string]string{}}
			for _, label := range metric.Label {
				s.Labels[label.GetName()] = label.GetValue()
			}
			switch family.GetType() {
			case dto.MetricType_COUNTER:
				v := metric.GetCounter().GetValue()
				s.Value = &v
			case dto.MetricType_GAUGE:
				v := metric.GetGauge().GetValue()
				s.Value = &v
			case dto.MetricType_HISTOGRAM:
				h := metric.GetHistogram()
				s.Buckets = map[string]uint64{}
				for _, bucket := range h.Bucket {
					s.Buckets[fmt.Sprint(bucket.GetUpperBound())] = bucket.GetCumulativeCount()
				}
				sum, count := h.GetSampleSum(), h.GetSampleCount()
				s.Sum, s.Count = &sum, &count
			default:
				v := metric.GetUntyped().GetValue()
				s.Value = &v
			}
			f.Series = append(f.Series, s)
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return json.NewEncoder(os.Stdout).Encode(out)
}
