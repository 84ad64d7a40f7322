"""The request fields the router reads, per caller dialect, with the JSON kinds each reference
API allows (OpenAI Chat Completions and Responses, Anthropic Messages, Gemini
``generateContent``). The router checks a body against its dialect's shape before anything reads
it (routing needs, body preparation, the bridges, usage, sessions), so a wrong type is a 400
naming the path, never an error of ours. Fields not listed are not read here and pass on (the
bridge policy decides about them); values the router only copies, such as JSON schemas, stay
open. Unions follow the references: ``content`` a string or a list of parts, ``stop`` a string
or a list, ``tool_choice`` a string or an object, Messages ``system`` a string or a list of
blocks, Responses ``input`` a string or a list of items. Gemini follows the proto3 JSON mapping,
which also takes integers written as strings and enums written as numbers.
"""

from __future__ import annotations

from typing import Any

from switchyard.catalog import Dialect

from .shapes import (
    ANY_NUMBER,
    ANY_OBJECT,
    BOOLEAN,
    INTEGER,
    STRING,
    Kind,
    Shape,
    arr,
    either,
    obj,
    of,
    optional,
    problem,
    required,
)

STRINGS = arr(STRING)
EFFORT = of(Kind.STRING | Kind.INTEGER)  # a label, or a token budget where a control takes one

# ----------------------------------------------------------------- OpenAI Chat Completions
CHAT_PART = obj(
    type=required(STRING),
    text=STRING,
    refusal=STRING,
    image_url=either(STRING, obj(url=STRING, detail=STRING)),
    input_audio=obj(data=STRING, format=STRING),
    file=obj(file_data=STRING, file_id=STRING, filename=STRING),
)
CHAT_CALL = obj(
    id=STRING,
    type=STRING,
    function=obj(name=STRING, arguments=STRING),
    custom=obj(name=STRING, input=STRING),
)
CHAT_MESSAGE = obj(
    role=required(STRING),
    content=either(STRING, arr(CHAT_PART)),
    name=STRING,
    tool_calls=arr(CHAT_CALL),
    tool_call_id=STRING,
    refusal=STRING,
    function_call=obj(name=STRING, arguments=STRING),
)
CHAT_TOOL = obj(
    type=required(STRING),
    function=obj(name=STRING, description=STRING, parameters=ANY_OBJECT, strict=BOOLEAN),
    custom=obj(name=STRING, description=STRING, format=ANY_OBJECT),
)
CHAT = obj(
    messages=required(arr(CHAT_MESSAGE)),
    stream=BOOLEAN,
    stream_options=obj(include_usage=BOOLEAN, include_obfuscation=BOOLEAN),
    tools=arr(CHAT_TOOL),
    functions=arr(ANY_OBJECT),
    tool_choice=either(
        STRING, obj(type=STRING, function=obj(name=STRING), custom=obj(name=STRING))
    ),
    parallel_tool_calls=BOOLEAN,
    response_format=obj(
        type=required(STRING),
        json_schema=obj(name=STRING, description=STRING, schema=ANY_OBJECT, strict=BOOLEAN),
    ),
    reasoning_effort=EFFORT,
    web_search_options=ANY_OBJECT,
    max_tokens=INTEGER,
    max_completion_tokens=INTEGER,
    n=INTEGER,
    stop=either(STRING, STRINGS),
    temperature=ANY_NUMBER,
    top_p=ANY_NUMBER,
    presence_penalty=ANY_NUMBER,
    frequency_penalty=ANY_NUMBER,
    seed=INTEGER,
    user=STRING,
    store=BOOLEAN,
)

# ----------------------------------------------------------------- OpenAI Responses
RESPONSES_PART = obj(
    type=required(STRING),
    text=STRING,
    refusal=STRING,
    image_url=STRING,
    file_id=STRING,
    file_data=STRING,
    file_url=STRING,
    filename=STRING,
    detail=STRING,
)
RESPONSES_ITEM = obj(
    type=STRING,  # absent: a message
    role=STRING,
    content=either(STRING, arr(RESPONSES_PART)),
    id=STRING,
    status=STRING,
    call_id=STRING,
    name=STRING,
    namespace=STRING,
    arguments=STRING,
    input=STRING,  # custom_tool_call
    # function/custom outputs: a string or parts; computer_call_output: a screenshot object
    output=either(STRING, arr(ANY_OBJECT), ANY_OBJECT),
    encrypted_content=STRING,
)
RESPONSES_TOOL = obj(
    type=required(STRING),
    name=STRING,
    description=STRING,
    parameters=ANY_OBJECT,
    strict=BOOLEAN,
    format=ANY_OBJECT,
)
RESPONSES_TOOL.fields["tools"] = optional(arr(RESPONSES_TOOL))  # a namespace's members
RESPONSES = obj(
    input=either(STRING, arr(RESPONSES_ITEM)),
    instructions=STRING,
    stream=BOOLEAN,
    stream_options=ANY_OBJECT,
    tools=arr(RESPONSES_TOOL),
    tool_choice=either(STRING, obj(type=STRING, name=STRING, namespace=STRING)),
    parallel_tool_calls=BOOLEAN,
    text=obj(format=obj(type=required(STRING)), verbosity=STRING),
    reasoning=obj(effort=EFFORT, summary=STRING),
    max_output_tokens=INTEGER,
    previous_response_id=STRING,
    background=BOOLEAN,
    temperature=ANY_NUMBER,
    top_p=ANY_NUMBER,
    user=STRING,
    store=BOOLEAN,
)

# ----------------------------------------------------------------- Anthropic Messages
MESSAGES_BLOCK = obj(
    type=required(STRING),
    text=STRING,
    # image/document sources are objects; a search_result block names its source by a string
    source=either(STRING, obj(type=STRING, media_type=STRING, data=STRING, url=STRING)),
    id=STRING,
    name=STRING,
    input=ANY_OBJECT,
    tool_use_id=STRING,
    # tool_result: a string or blocks; a server tool's result may be an error object
    content=either(STRING, arr(ANY_OBJECT), ANY_OBJECT),
    is_error=BOOLEAN,
    tool_name=STRING,
    thinking=STRING,
    signature=STRING,
)
MESSAGES = obj(
    messages=required(
        arr(obj(role=required(STRING), content=required(either(STRING, arr(MESSAGES_BLOCK)))))
    ),
    system=either(STRING, arr(obj(type=required(STRING), text=STRING))),
    stream=BOOLEAN,
    max_tokens=INTEGER,
    stop_sequences=STRINGS,
    temperature=ANY_NUMBER,
    top_p=ANY_NUMBER,
    top_k=INTEGER,
    tools=arr(
        obj(
            type=STRING,
            name=STRING,
            description=STRING,
            input_schema=ANY_OBJECT,
            defer_loading=BOOLEAN,
        )
    ),
    tool_choice=obj(type=required(STRING), name=STRING, disable_parallel_tool_use=BOOLEAN),
    thinking=obj(type=required(STRING), budget_tokens=INTEGER),
    output_config=obj(effort=STRING, format=ANY_OBJECT),
    output_format=ANY_OBJECT,
    context_management=obj(edits=arr(obj(type=STRING))),
    metadata=obj(user_id=STRING),
)

# ----------------------------------------------------------------- Gemini generateContent
PROTO_INT = of(Kind.INTEGER | Kind.STRING)  # proto3 JSON: int32/int64 may be strings
PROTO_ENUM = of(Kind.STRING | Kind.INTEGER)  # proto3 JSON: an enum by name or number
GOOGLE_CONTENT = obj(
    role=STRING,
    parts=arr(
        obj(
            text=STRING,
            thought=BOOLEAN,
            thoughtSignature=STRING,
            inlineData=obj(mimeType=STRING, data=STRING),
            fileData=obj(mimeType=STRING, fileUri=STRING),
            functionCall=obj(id=STRING, name=STRING, args=ANY_OBJECT),
            functionResponse=obj(id=STRING, name=STRING, response=ANY_OBJECT),
        )
    ),
)
GOOGLE = obj(
    contents=arr(GOOGLE_CONTENT),
    systemInstruction=GOOGLE_CONTENT,
    tools=arr(
        obj(functionDeclarations=arr(obj(name=STRING, description=STRING, parameters=ANY_OBJECT)))
    ),
    toolConfig=obj(
        functionCallingConfig=obj(mode=PROTO_ENUM, allowedFunctionNames=STRINGS),
    ),
    generationConfig=obj(
        maxOutputTokens=PROTO_INT,
        candidateCount=PROTO_INT,
        temperature=ANY_NUMBER,
        topP=ANY_NUMBER,
        topK=ANY_NUMBER,
        seed=PROTO_INT,
        stopSequences=STRINGS,
        responseMimeType=STRING,
        responseSchema=ANY_OBJECT,
        thinkingConfig=obj(
            thinkingBudget=PROTO_INT, thinkingLevel=PROTO_ENUM, includeThoughts=BOOLEAN
        ),
    ),
)

REQUEST_SHAPES: dict[Dialect, Shape] = {
    Dialect.OPENAI_CHAT: CHAT,
    Dialect.OPENAI_RESPONSES: RESPONSES,
    Dialect.ANTHROPIC: MESSAGES,
    Dialect.GOOGLE: GOOGLE,
}


def request_type_problem(dialect: Dialect, body: Any) -> str | None:
    """None when every field the router reads has a type the dialect's reference allows;
    otherwise ``path: expected K, got K`` for the first that does not."""
    return problem(REQUEST_SHAPES[dialect], body)
