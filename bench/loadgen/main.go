// benchtool: the compiled half of the router bench (stdlib only).
//
//	benchtool upstream -port P [-chunks 50]
//	    A fast OpenAI Chat Completions upstream on 127.0.0.1:P: realistic replies with usage;
//	    streams of `chunks` content chunks, a finish chunk, the usage chunk when the request
//	    asks for it (stream_options.include_usage), then [DONE].
//	benchtool load -url U -body FILE -c N -d SECONDS [-kind chat|responses] [-H 'K: V']...
//	    Closed-loop load at concurrency N for a duration; every answer is validated (status,
//	    JSON shape, content, usage; a stream must end properly and carry usage). Prints one JSON
//	    line: requests, failures, first failure, latency percentiles.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchtool upstream|load ...")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "upstream":
		upstream(os.Args[2:])
	case "load":
		load(os.Args[2:])
	default:
		fmt.Fprintln(os.Stderr, "unknown command", os.Args[1])
		os.Exit(2)
	}
}

// ---- upstream -------------------------------------------------------------------------

const words = "The quick brown fox jumps over the lazy dog while the router counts every token "

type chatRequest struct {
	Model         string `json:"model"`
	Stream        bool   `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
	PromptDetails    struct {
		CachedTokens int `json:"cached_tokens"`
		AudioTokens  int `json:"audio_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionDetails struct {
		ReasoningTokens          int `json:"reasoning_tokens"`
		AudioTokens              int `json:"audio_tokens"`
		AcceptedPredictionTokens int `json:"accepted_prediction_tokens"`
		RejectedPredictionTokens int `json:"rejected_prediction_tokens"`
	} `json:"completion_tokens_details"`
}

func usageOf(completion int) usage {
	u := usage{PromptTokens: 42, CompletionTokens: completion}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return u
}

func upstream(args []string) {
	fs := flag.NewFlagSet("upstream", flag.ExitOnError)
	port := fs.Int("port", 0, "port on 127.0.0.1")
	chunks := fs.Int("chunks", 50, "content chunks per stream")
	_ = fs.Parse(args)
	content := strings.Repeat(words, 8) // ~650 bytes, ~130 tokens
	var seq int64
	var mu sync.Mutex
	nextID := func() string {
		mu.Lock()
		seq++
		n := seq
		mu.Unlock()
		return fmt.Sprintf("chatcmpl-bench%020d", n)
	}
	handler := func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Write([]byte("ok"))
			return
		}
		if !strings.HasSuffix(r.URL.Path, "/chat/completions") {
			http.Error(w, `{"error":{"message":"only /chat/completions here","type":"invalid_request_error"}}`, 404)
			return
		}
		var req chatRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model == "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			w.Write([]byte(`{"error":{"message":"bad request body","type":"invalid_request_error"}}`))
			return
		}
		id, created := nextID(), time.Now().Unix()
		if !req.Stream {
			reply := map[string]any{
				"id": id, "object": "chat.completion", "created": created, "model": req.Model,
				"system_fingerprint": "fp_bench",
				"choices": []any{map[string]any{
					"index": 0, "logprobs": nil, "finish_reason": "stop",
					"message": map[string]any{"role": "assistant", "content": content, "refusal": nil, "annotations": []any{}},
				}},
				"usage":        usageOf(130),
				"service_tier": "default",
			}
			body, _ := json.Marshal(reply)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.Write(body)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		flusher := w.(http.Flusher)
		head := fmt.Sprintf(`{"id":%q,"object":"chat.completion.chunk","created":%d,"model":%q,"service_tier":"default","system_fingerprint":"fp_bench","choices":[`, id, created, req.Model)
		tail := "}\n\n"
		if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
			tail = `,"usage":null}` + "\n\n"
		}
		send := func(choice string) {
			io.WriteString(w, "data: "+head+choice+"]"+tail)
			flusher.Flush()
		}
		send(`{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}`)
		piece := words[:12]
		for i := 0; i < *chunks; i++ {
			send(`{"index":0,"delta":{"content":` + strconv.Quote(piece) + `},"logprobs":null,"finish_reason":null}`)
		}
		send(`{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}`)
		if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
			u, _ := json.Marshal(usageOf(*chunks * 3))
			io.WriteString(w, "data: "+head+`],"usage":`+string(u)+"}\n\n")
		}
		io.WriteString(w, "data: [DONE]\n\n")
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: http.HandlerFunc(handler)}
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// ---- load -----------------------------------------------------------------------------

type headerList []string

func (h *headerList) String() string     { return strings.Join(*h, ", ") }
func (h *headerList) Set(v string) error { *h = append(*h, v); return nil }

type result struct {
	Requests int     `json:"requests"`
	Failures int     `json:"failures"`
	First    string  `json:"first_failure,omitempty"`
	Seconds  float64 `json:"seconds"`
	P50      float64 `json:"p50_ms"`
	P99      float64 `json:"p99_ms"`
}

// checkJSON: a whole reply with content and usage, in the caller's dialect.
func checkJSON(kind string, body []byte) error {
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		return fmt.Errorf("reply is not JSON")
	}
	u, _ := doc["usage"].(map[string]any)
	if u == nil {
		return fmt.Errorf("reply has no usage")
	}
	if kind == "responses" {
		if doc["object"] != "response" || doc["status"] != "completed" {
			return fmt.Errorf("not a completed response")
		}
		if _, ok := u["output_tokens"].(float64); !ok {
			return fmt.Errorf("usage has no output_tokens")
		}
		if !bytes.Contains(body, []byte(`"output_text"`)) {
			return fmt.Errorf("response has no output_text")
		}
		return nil
	}
	if doc["object"] != "chat.completion" {
		return fmt.Errorf("not a chat.completion")
	}
	choices, _ := doc["choices"].([]any)
	if len(choices) == 0 {
		return fmt.Errorf("no choices")
	}
	msg, _ := choices[0].(map[string]any)["message"].(map[string]any)
	if text, _ := msg["content"].(string); text == "" {
		return fmt.Errorf("empty content")
	}
	if _, ok := u["completion_tokens"].(float64); !ok {
		return fmt.Errorf("usage has no completion_tokens")
	}
	return nil
}

// checkStream: every event is JSON, content arrives, usage arrives, the stream ends properly.
func checkStream(kind string, r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	deltas, sawUsage, done := 0, false, false
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte("data:")) {
			continue
		}
		data := bytes.TrimSpace(line[5:])
		if done {
			return fmt.Errorf("data after the end")
		}
		if kind == "chat" && string(data) == "[DONE]" {
			done = true
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal(data, &ev); err != nil {
			return fmt.Errorf("event is not JSON")
		}
		if kind == "chat" {
			if u, ok := ev["usage"].(map[string]any); ok && u["completion_tokens"] != nil {
				sawUsage = true
			}
			if choices, _ := ev["choices"].([]any); len(choices) > 0 {
				delta, _ := choices[0].(map[string]any)["delta"].(map[string]any)
				if text, _ := delta["content"].(string); text != "" {
					deltas++
				}
			}
			continue
		}
		switch ev["type"] {
		case "response.output_text.delta":
			deltas++
		case "response.completed":
			resp, _ := ev["response"].(map[string]any)
			if u, ok := resp["usage"].(map[string]any); ok && u["output_tokens"] != nil {
				sawUsage = true
			}
			done = true
		case "response.failed", "error":
			return fmt.Errorf("stream failed")
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading the stream: %v", err)
	}
	switch {
	case deltas == 0:
		return fmt.Errorf("stream carried no content")
	case !sawUsage:
		return fmt.Errorf("stream carried no usage")
	case !done:
		return fmt.Errorf("stream did not end properly")
	}
	return nil
}

func load(args []string) {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	url := fs.String("url", "", "endpoint")
	bodyFile := fs.String("body", "", "request body file")
	conc := fs.Int("c", 1, "concurrency")
	seconds := fs.Float64("d", 2, "duration in seconds")
	kind := fs.String("kind", "chat", "chat or responses (how answers are validated)")
	var headers headerList
	fs.Var(&headers, "H", "extra header 'Name: value' (repeatable)")
	_ = fs.Parse(args)
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	stream := bytes.Contains(body, []byte(`"stream":true`))
	transport := &http.Transport{MaxIdleConns: *conc * 2, MaxIdleConnsPerHost: *conc * 2, DisableCompression: true}
	client := &http.Client{Transport: transport, Timeout: 60 * time.Second}
	hdr := http.Header{"Content-Type": {"application/json"}}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		hdr.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	one := func() error {
		req, _ := http.NewRequest(http.MethodPost, *url, bytes.NewReader(body))
		req.Header = hdr.Clone()
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
			return fmt.Errorf("status %d: %s", resp.StatusCode, snippet)
		}
		if stream {
			return checkStream(*kind, resp.Body)
		}
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		return checkJSON(*kind, data)
	}
	var mu sync.Mutex
	var lat []float64
	failures, first := 0, ""
	start := time.Now()
	deadline := start.Add(time.Duration(*seconds * float64(time.Second)))
	var wg sync.WaitGroup
	for i := 0; i < *conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				t0 := time.Now()
				err := one()
				ms := float64(time.Since(t0).Microseconds()) / 1000
				mu.Lock()
				lat = append(lat, ms)
				if err != nil {
					failures++
					if first == "" {
						first = err.Error()
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	out := result{Requests: len(lat), Failures: failures, First: first, Seconds: time.Since(start).Seconds()}
	if len(lat) > 0 {
		sort.Float64s(lat)
		out.P50 = lat[len(lat)/2]
		out.P99 = lat[min(len(lat)-1, len(lat)*99/100)]
	}
	line, _ := json.Marshal(out)
	fmt.Println(string(line))
}
