"""A counter service as a Python user would write it: FastAPI, served by uvicorn.

POST /inc answers {"status":"ok"} without the value, as many real services do; the tester
must then judge it on GET /count alone. Run: uvicorn fastapi_counter:app --port 8080
"""
from fastapi import FastAPI

app = FastAPI()
count = 0


# Handlers are `async def` with no await inside: they run one at a time on the event loop,
# so `count += 1` needs no lock.
@app.post("/inc")
async def inc() -> dict:
    global count
    count += 1
    return {"status": "ok"}


@app.post("/reset")
async def reset() -> dict:
    global count
    count = 0
    return {"status": "ok"}


@app.get("/count")
async def read() -> dict:
    return {"count": count}
