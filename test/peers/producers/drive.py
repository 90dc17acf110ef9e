"""Drive one real GenAI instrumentation against an OpenAI-compatible server and export its telemetry.

    python drive.py --producer openai-v2|openai-v2-util1|openllmetry|openinference --mode MODE \
        --otlp-endpoint http://127.0.0.1:PORT --openai-base-url http://127.0.0.1:PORT/v1 \
        [--conversation-id X] [--metric-export-interval-ms N]

Sets the producer's own configuration (environment variables) for MODE, sets up the OpenTelemetry
SDK with the OTLP/HTTP protobuf exporters (traces, logs, metrics) to --otlp-endpoint, instruments
the `openai` client with exactly one producer, and makes four chat calls:

    1. plain         system + user message, non-streamed
    2. stream        the same, streamed with stream_options.include_usage
    3. tool_call     a user question with a `get_weather` tool; the server answers with a tool call
    4. tool_result   the conversation continued with the tool's result; the server answers in text

Then it flushes and shuts down every provider, so everything was sent when it exits, and prints a
JSON summary on its last stdout line (anything the producers print goes to stderr).

Producers and modes (see MODES):
- openai-v2 (opentelemetry-instrumentation-openai-v2 2.4b0, opentelemetry-util-genai 0.4b0):
  no-content, events (legacy conventions, CAPTURE_MESSAGE_CONTENT=true: one log event per message),
  and with OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental: span-only, event-only,
  span-and-event.
- openai-v2-util1 (same instrumentation on opentelemetry-util-genai 1.1b0, its own venv):
  no-content, span-only, event-only, span-and-event, and legacy-true (the value `true`, which
  util-genai 1.x rejects: no content).
- openllmetry (traceloop-sdk 0.62.4, Traceloop.init exporting to the endpoint): content, no-content,
  workflow (content, the calls inside a @workflow with one @task per call).
- openinference (openinference-instrumentation-openai 0.1.66): content, no-content
  (OPENINFERENCE_HIDE_INPUTS/OUTPUTS), genai-semconv (content plus OPENINFERENCE_ENABLE_GENAI_SEMCONV).

--conversation-id: openllmetry sets it with traceloop's set_conversation_id (gen_ai.conversation.id
on every span), openinference with using_session (session.id); openai-v2 has no way to take one, so
the summary says it was ignored.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from typing import Any, Callable, Dict, List, Optional

MODEL = "gpt-4o-mini"
SYSTEM_PROMPT = "You are a terse assistant."
USER_PROMPT = "Say hello and tell me the colour of the sky."
TOOL_QUESTION = "What is the weather in Paris?"
TOOL_RESULT = '{"city": "Paris", "temperature_c": 22, "sky": "sunny"}'
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "City name"}},
            "required": ["city"],
        },
    },
}

LATEST = {"OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental"}
CAPTURE = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
OPENAI_V2_UTIL1_MODES: Dict[str, Dict[str, str]] = {
    "no-content": {CAPTURE: "NO_CONTENT"},
    "span-only": {CAPTURE: "SPAN_ONLY"},
    "event-only": {CAPTURE: "EVENT_ONLY"},
    "span-and-event": {CAPTURE: "SPAN_AND_EVENT"},
    "legacy-true": {CAPTURE: "true"},
}

# Environment of each producer x mode. Every variable named anywhere here is cleared first, so an
# inherited value cannot leak into another mode.
MODES: Dict[str, Dict[str, Dict[str, str]]] = {
    "openai-v2": {
        "no-content": {},
        "events": {CAPTURE: "true"},
        "span-only": {**LATEST, CAPTURE: "SPAN_ONLY"},
        "event-only": {**LATEST, CAPTURE: "EVENT_ONLY"},
        "span-and-event": {**LATEST, CAPTURE: "SPAN_AND_EVENT"},
    },
    "openai-v2-util1": OPENAI_V2_UTIL1_MODES,
    "openllmetry": {
        "content": {"TRACELOOP_TRACE_CONTENT": "true"},
        "no-content": {"TRACELOOP_TRACE_CONTENT": "false"},
        "workflow": {"TRACELOOP_TRACE_CONTENT": "true"},
    },
    "openinference": {
        "content": {},
        "no-content": {"OPENINFERENCE_HIDE_INPUTS": "true", "OPENINFERENCE_HIDE_OUTPUTS": "true"},
        "genai-semconv": {"OPENINFERENCE_ENABLE_GENAI_SEMCONV": "true"},
    },
}

KNOBS = sorted(
    {name for modes in MODES.values() for env in modes.values() for name in env}
    | {"OTEL_INSTRUMENTATION_GENAI_EMIT_EVENT", "OTEL_INSTRUMENTATION_GENAI_COMPLETION_HOOK"}
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--producer", required=True, choices=sorted(MODES))
    parser.add_argument("--mode", required=True)
    parser.add_argument("--otlp-endpoint", required=True, help="base URL; /v1/traces, /v1/logs, /v1/metrics are appended")
    parser.add_argument("--openai-base-url", required=True, help="OpenAI base URL, ending in /v1")
    parser.add_argument("--conversation-id")
    parser.add_argument(
        "--metric-export-interval-ms",
        type=int,
        default=60000,
        help="periodic metric export interval; the default leaves one export, at shutdown",
    )
    args = parser.parse_args()
    if args.mode not in MODES[args.producer]:
        parser.error(f"mode of {args.producer} must be one of {', '.join(MODES[args.producer])}")
    return args


def configure_environment(args: argparse.Namespace) -> Dict[str, str]:
    """Sets the mode's variables (before any instrumentation is imported: some read them then)."""
    for name in KNOBS:
        os.environ.pop(name, None)
    for name in list(os.environ):
        if name.startswith("OTEL_EXPORTER_OTLP") or name.startswith("TRACELOOP_"):
            os.environ.pop(name)
    env = dict(MODES[args.producer][args.mode])
    env.update(
        {
            "OTEL_BSP_SCHEDULE_DELAY": "200",
            "OTEL_BLRP_SCHEDULE_DELAY": "200",
            "OTEL_METRIC_EXPORT_INTERVAL": str(args.metric_export_interval_ms),
            "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "",
            "TRACELOOP_TELEMETRY": "false",
            "TRACELOOP_SUPPRESS_WARNINGS": "true",
        }
    )
    os.environ.update(env)
    return dict(MODES[args.producer][args.mode])


def span_recorder() -> Any:
    """A span processor that remembers every ended span's ids (for the summary)."""
    from opentelemetry.sdk.trace import SpanProcessor

    class SpanRecorder(SpanProcessor):
        def __init__(self) -> None:
            self.spans: List[Dict[str, Any]] = []

        def on_end(self, span: Any) -> None:
            context = span.get_span_context()
            parent = span.parent
            self.spans.append(
                {
                    "name": span.name,
                    "trace_id": format(context.trace_id, "032x"),
                    "span_id": format(context.span_id, "016x"),
                    "parent_span_id": format(parent.span_id, "016x") if parent is not None else None,
                }
            )

    return SpanRecorder()


class Pipeline:
    """The SDK providers of one run and how to flush and shut them down."""

    def __init__(self) -> None:
        self.tracer_provider: Any = None
        self.logger_provider: Any = None
        self.meter_provider: Any = None

    def shutdown(self) -> None:
        for provider in (self.tracer_provider, self.logger_provider, self.meter_provider):
            # shutdown() flushes (a force_flush first would export the metrics twice).
            if provider is not None:
                provider.shutdown()


def resource_attributes(args: argparse.Namespace) -> Dict[str, str]:
    return {"service.name": f"drive-{args.producer}", "drive.producer": args.producer, "drive.mode": args.mode}


def sdk_providers(args: argparse.Namespace, pipeline: Pipeline, traces: bool = True, metrics_too: bool = True) -> None:
    """Our own SDK set-up: tracer, logger and meter providers with OTLP/HTTP protobuf exporters."""
    from opentelemetry import metrics, trace
    from opentelemetry._logs import set_logger_provider
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    base = args.otlp_endpoint.rstrip("/")
    resource = Resource.create(resource_attributes(args))
    if traces:
        tracer_provider = TracerProvider(resource=resource)
        tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{base}/v1/traces")))
        trace.set_tracer_provider(tracer_provider)
        pipeline.tracer_provider = tracer_provider
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{base}/v1/logs")))
    set_logger_provider(logger_provider)
    pipeline.logger_provider = logger_provider
    if metrics_too:
        reader = PeriodicExportingMetricReader(
            OTLPMetricExporter(endpoint=f"{base}/v1/metrics"), export_interval_millis=args.metric_export_interval_ms
        )
        meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
        metrics.set_meter_provider(meter_provider)
        pipeline.meter_provider = meter_provider


def instrument_openai_v2(args: argparse.Namespace, pipeline: Pipeline) -> None:
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    sdk_providers(args, pipeline)
    OpenAIInstrumentor().instrument(
        tracer_provider=pipeline.tracer_provider,
        logger_provider=pipeline.logger_provider,
        meter_provider=pipeline.meter_provider,
    )


def instrument_openllmetry(args: argparse.Namespace, pipeline: Pipeline) -> None:
    """Traceloop.init as its users call it: it builds its own tracer and meter providers exporting
    OTLP/HTTP protobuf to api_endpoint (/v1/traces, /v1/metrics), and instruments openai."""
    from opentelemetry import metrics, trace
    from traceloop.sdk import Traceloop
    from traceloop.sdk.instruments import Instruments

    # Logs: Traceloop's logging is off by default (TRACELOOP_LOGGING_ENABLED); a global
    # LoggerProvider of ours still shows whether anything would be emitted as a log.
    sdk_providers(args, pipeline, traces=False, metrics_too=False)
    with contextlib.redirect_stdout(sys.stderr):
        Traceloop.init(
            app_name=f"drive-{args.producer}",
            api_endpoint=args.otlp_endpoint.rstrip("/"),
            resource_attributes={"drive.producer": args.producer, "drive.mode": args.mode},
            telemetry_enabled=False,
            instruments={Instruments.OPENAI},
        )
    pipeline.tracer_provider = trace.get_tracer_provider()
    pipeline.meter_provider = metrics.get_meter_provider()


def instrument_openinference(args: argparse.Namespace, pipeline: Pipeline) -> None:
    from openinference.instrumentation.openai import OpenAIInstrumentor

    sdk_providers(args, pipeline)
    OpenAIInstrumentor().instrument(tracer_provider=pipeline.tracer_provider)


INSTRUMENT: Dict[str, Callable[[argparse.Namespace, Pipeline], None]] = {
    "openai-v2": instrument_openai_v2,
    "openai-v2-util1": instrument_openai_v2,
    "openllmetry": instrument_openllmetry,
    "openinference": instrument_openinference,
}


def tool_calls_of(message: Any) -> List[Dict[str, str]]:
    return [
        {"id": call.id, "name": call.function.name, "arguments": call.function.arguments}
        for call in (message.tool_calls or [])
    ]


def completion_summary(kind: str, response: Any) -> Dict[str, Any]:
    """What a non-streamed call returned, for the driver's JSON summary."""
    return {
        "kind": kind,
        "request_model": MODEL,
        "response_model": response.model,
        "response_id": response.id,
        "text": response.choices[0].message.content,
        "finish_reason": response.choices[0].finish_reason,
        "usage": response.usage.model_dump() if response.usage else None,
    }


def call_plain(client: Any) -> Dict[str, Any]:
    messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": USER_PROMPT}]
    response = client.chat.completions.create(model=MODEL, messages=messages, temperature=0.2, max_tokens=64)
    return completion_summary("plain", response)


def call_stream(client: Any) -> Dict[str, Any]:
    messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": USER_PROMPT}]
    stream = client.chat.completions.create(
        model=MODEL, messages=messages, temperature=0.2, max_tokens=64, stream=True, stream_options={"include_usage": True}
    )
    text, response_id, response_model, usage, finish_reason, chunks = "", None, None, None, None, 0
    for chunk in stream:
        chunks += 1
        response_id, response_model = chunk.id, chunk.model
        if chunk.usage is not None:
            usage = chunk.usage.model_dump()
        for choice in chunk.choices:
            text += choice.delta.content or ""
            finish_reason = choice.finish_reason or finish_reason
    return {
        "kind": "stream",
        "request_model": MODEL,
        "response_model": response_model,
        "response_id": response_id,
        "text": text,
        "finish_reason": finish_reason,
        "usage": usage,
        "chunks": chunks,
    }


def call_tool(client: Any) -> Dict[str, Any]:
    messages = [{"role": "user", "content": TOOL_QUESTION}]
    response = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL], tool_choice="auto")
    message = response.choices[0].message
    return {
        "kind": "tool_call",
        "request_model": MODEL,
        "response_model": response.model,
        "response_id": response.id,
        "text": message.content,
        "tool_calls": tool_calls_of(message),
        "finish_reason": response.choices[0].finish_reason,
        "usage": response.usage.model_dump() if response.usage else None,
    }


def call_tool_result(client: Any, tool_call: Dict[str, Any]) -> Dict[str, Any]:
    call = tool_call["tool_calls"][0]
    messages = [
        {"role": "user", "content": TOOL_QUESTION},
        {
            "role": "assistant",
            "content": tool_call["text"],
            "tool_calls": [
                {"id": call["id"], "type": "function", "function": {"name": call["name"], "arguments": call["arguments"]}}
            ],
        },
        {"role": "tool", "tool_call_id": call["id"], "content": TOOL_RESULT},
    ]
    response = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL])
    return completion_summary("tool_result", response)


def make_calls(client: Any, wrap: Callable[[str, Callable[[], Dict[str, Any]]], Dict[str, Any]]) -> List[Dict[str, Any]]:
    calls = [wrap("plain", lambda: call_plain(client)), wrap("stream", lambda: call_stream(client))]
    tool_call = wrap("tool_call", lambda: call_tool(client))
    calls.append(tool_call)
    calls.append(wrap("tool_result", lambda: call_tool_result(client, tool_call)))
    return calls


def run_calls(args: argparse.Namespace, client: Any) -> tuple[List[Dict[str, Any]], Optional[str]]:
    """Makes the calls, inside the producer's conversation / workflow context where it has one."""
    plain: Callable[[str, Callable[[], Dict[str, Any]]], Dict[str, Any]] = lambda _name, fn: fn()
    with contextlib.ExitStack() as stack:
        conversation_note: Optional[str] = None
        if args.conversation_id is not None:
            if args.producer == "openllmetry":
                from opentelemetry.context import detach
                from traceloop.sdk.tracing.tracing import set_conversation_id

                token = set_conversation_id(args.conversation_id)
                stack.callback(detach, token)
                conversation_note = "gen_ai.conversation.id via traceloop set_conversation_id"
            elif args.producer == "openinference":
                from openinference.instrumentation import using_session

                stack.enter_context(using_session(args.conversation_id))
                conversation_note = "session.id via openinference using_session"
            else:
                conversation_note = "ignored: openai-v2 has no conversation id input"
        if args.producer == "openllmetry" and args.mode == "workflow":
            from traceloop.sdk.decorators import task, workflow

            def as_task(name: str, fn: Callable[[], Dict[str, Any]]) -> Dict[str, Any]:
                return task(name=name)(fn)()

            calls = workflow(name="weather_chat")(lambda: make_calls(client, as_task))()
        else:
            calls = make_calls(client, plain)
    return calls, conversation_note


def installed_versions() -> Dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    names = [
        "openai",
        "opentelemetry-sdk",
        "opentelemetry-exporter-otlp-proto-http",
        "opentelemetry-instrumentation-openai-v2",
        "opentelemetry-util-genai",
        "traceloop-sdk",
        "opentelemetry-instrumentation-openai",
        "openinference-instrumentation-openai",
    ]
    found: Dict[str, str] = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            pass
    return found


def main() -> None:
    args = parse_args()
    mode_env = configure_environment(args)
    real_stdout = sys.stdout
    pipeline = Pipeline()
    with contextlib.redirect_stdout(sys.stderr):
        INSTRUMENT[args.producer](args, pipeline)
        recorder = span_recorder()
        pipeline.tracer_provider.add_span_processor(recorder)

        import openai

        client = openai.OpenAI(base_url=args.openai_base_url, api_key="sk-fake", max_retries=0, timeout=30)
        calls, conversation_note = run_calls(args, client)
        pipeline.shutdown()
    summary = {
        "producer": args.producer,
        "mode": args.mode,
        "env": mode_env,
        "otlp_endpoint": args.otlp_endpoint,
        "openai_base_url": args.openai_base_url,
        "conversation_id": args.conversation_id,
        "conversation_note": conversation_note,
        "versions": installed_versions(),
        "calls": calls,
        "spans": recorder.spans,
    }
    real_stdout.write(json.dumps(summary) + "\n")
    real_stdout.flush()


if __name__ == "__main__":
    main()
