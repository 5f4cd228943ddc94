"""gcgap's Jupyter kernel: ipykernel's wrapper-kernel pattern around one gcgap process.

The kernel starts `gcgap -e "require('gcgap.kernel').serve()"` (GCGAP_BIN names the executable)
and forwards each request as one JSON line; gcgap prints a cell's output as it runs and ends
each reply with the byte 0x1E and one JSON line (stdlib/gcgap/kernel.lua). One gcgap state per
kernel, so one per notebook. An interrupt (Jupyter's "interrupt kernel") reaches this process as
SIGINT and is passed on to gcgap, whose native loops (training, scoring) stop with
"interrupted!" while the state survives.

Installed by `gcgap --install-kernel`, which writes the kernelspec and a venv with ipykernel.
"""
import json
import os
import signal
import subprocess
import sys

from ipykernel.kernelbase import Kernel

MARK = b"\x1e"


class GcgapKernel(Kernel):
    implementation = "gcgap"
    implementation_version = "0.1"
    language = "lua"
    language_version = "5.4"
    language_info = {"name": "lua", "mimetype": "text/x-lua", "file_extension": ".lua",
                     "codemirror_mode": "lua", "pygments_lexer": "lua"}
    banner = "gcgap (Lua 5.4): the Gradient-Causal Gap toolkit. help() lists everything."

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        exe = os.environ.get("GCGAP_BIN", "gcgap")
        # its own session: Jupyter's interrupt reaches gcgap only through this kernel, and only
        # while a cell runs (an interrupt between cells must not stop the server loop)
        # stderr joins stdout: warnings show in the cell, in order, and a full stderr pipe can
        # never block gcgap (status lines are off: stderr is not a terminal)
        self.child = subprocess.Popen([exe, "-e", "require('gcgap.kernel').serve()"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        self.pending = b""

    def _request(self, req, stream):
        self.child.stdin.write((json.dumps(req) + "\n").encode())
        self.child.stdin.flush()
        while True:
            try:
                chunk = os.read(self.child.stdout.fileno(), 65536)
            except KeyboardInterrupt:
                os.kill(self.child.pid, signal.SIGINT)
                continue
            if not chunk:
                raise RuntimeError("gcgap exited: " + self.pending.decode(errors="replace")[-2000:])
            self.pending += chunk
            if MARK in self.pending:
                out, rest = self.pending.split(MARK, 1)
                if out and stream:
                    self._stream(out)
                if b"\n" not in rest:
                    self.pending = MARK + rest
                    continue
                line, self.pending = rest.split(b"\n", 1)
                return json.loads(line)
            # output that cannot hold the start of a reply is shown as it comes
            if stream and b"\n" in self.pending:
                text, self.pending = self.pending.rsplit(b"\n", 1)
                self._stream(text + b"\n")

    def _stream(self, data):
        self.send_response(self.iopub_socket, "stream", {"name": "stdout", "text": data.decode(errors="replace")})

    def do_execute(self, code, silent, store_history=True, user_expressions=None, allow_stdin=False):
        reply = self._request({"op": "execute", "code": code}, not silent)
        if reply.get("status") == "error":
            content = {"ename": reply["ename"], "evalue": reply["evalue"], "traceback": reply.get("traceback", [])}
            if not silent:
                self.send_response(self.iopub_socket, "error", content)
            return dict(status="error", execution_count=self.execution_count, **content)
        if not silent:
            for d in reply.get("displays", []):
                data = {k: v for k, v in d["data"].items() if v is not None}
                self.send_response(self.iopub_socket, "execute_result",
                                   {"execution_count": self.execution_count, "data": data, "metadata": {}})
        return {"status": "ok", "execution_count": self.execution_count, "payload": [], "user_expressions": {}}

    def do_complete(self, code, cursor_pos):
        b = code.encode()
        cursor = len(code[:cursor_pos].encode())
        reply = self._request({"op": "complete", "code": b.decode(), "cursor": cursor}, False)
        start = len(b[:reply["start"]].decode(errors="replace"))
        return {"status": "ok", "matches": reply["matches"], "cursor_start": start, "cursor_end": cursor_pos, "metadata": {}}

    def do_inspect(self, code, cursor_pos, detail_level=0, omit_sections=()):
        reply = self._request({"op": "inspect", "code": code, "cursor": len(code[:cursor_pos].encode())}, False)
        data = {"text/plain": reply["text"]} if reply.get("found") else {}
        return {"status": "ok", "found": bool(reply.get("found")), "data": data, "metadata": {}}

    def do_shutdown(self, restart):
        try:
            self.child.stdin.close()
            self.child.wait(timeout=5)
        except Exception:
            self.child.kill()
        return {"status": "ok", "restart": restart}


if __name__ == "__main__":
    from ipykernel.kernelapp import IPKernelApp
    IPKernelApp.launch_instance(kernel_class=GcgapKernel)
