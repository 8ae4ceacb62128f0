import json, os, hashlib, datetime
def b36(n):
    a='0123456789abcdefghijklmnopqrstuvwxyz'; r=''
    while n: r=a[n%36]+r; n//=36
    return r
def jid(prefix, ts, tail):
    ms=int(datetime.datetime.fromisoformat(ts.replace('Z','+00:00')).timestamp()*1000)
    return f'{prefix}-{b36(ms)}-{tail}'

root='/work/main/testdata/sample'
def ws(name, path):
    h=hashlib.sha256(path.encode()).hexdigest()[:16]
    return f"{name}-{h}"
def dump(p, obj):
    os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p,'w').write(json.dumps(obj, indent=2, ensure_ascii=False)+"\n")
def write(p, text):
    os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p,'w').write(text)
data=f"{root}/plugin-data/state"
W=ws('webapp','/home/ana/src/webapp')
sd=f"{data}/{W}"
logdir=f"/home/ana/.claude/plugins/data/codex-openai-codex/state/{W}/jobs"
SID="8c1e2f3a-4b5c-4d6e-8f90-a1b2c3d4e5f6"
jobs=[]
def job(id, kind, title, status, phase, created, started, completed, summary, log, extra=None, index_extra=None, file=True, logfile=True, pid=None):
    rec={"id":id,"kind":kind,"kindLabel":"rescue" if kind=="task" else kind,"title":title,"workspaceRoot":"/home/ana/src/webapp",
         "jobClass":"task" if kind=="task" else "review","summary":summary,"write":False,"createdAt":created,"sessionId":SID,
         "status":status,"phase":phase,"pid":pid,"logFile":f"{logdir}/{id}.log","startedAt":started}
    if completed: rec["completedAt"]=completed
    if extra: rec.update(extra)
    idx={k:v for k,v in rec.items() if k not in ("result","rendered","cancelledAt")}
    idx["updatedAt"]=completed or started
    if index_extra: idx.update(index_extra)
    jobs.append(idx)
    if file: dump(f"{sd}/jobs/{id}.json", rec)
    if logfile: write(f"{sd}/jobs/{id}.log", log)
def L(ts, msg): return f"[{ts}] {msg}\n"
def B(ts, title, body): return f"\n[{ts}] {title}\n{body}\n"
# 1 ok
t="2026-11-20T09:00:0"
log=L(t+"0.100Z","Starting Codex Task.")+L(t+"0.700Z","Starting Codex task thread.")+L(t+"1.200Z","Thread ready (019ea1b2-0000-7000-8000-000000000001).")+L(t+"1.250Z","Turn started (019ea1b2-0000-7000-8000-000000000002).")
log+=L(t+"3.000Z","Running command: /bin/bash -lc 'npm test -- auth'")+L(t+"9.500Z","Command failed: /bin/bash -lc 'npm test -- auth' (exit 1)")
log+=L("2026-11-20T09:00:12.000Z","Applying 1 file change(s).")+L("2026-11-20T09:00:12.100Z","File changes completed.")
log+=L("2026-11-20T09:00:14.000Z","Running command: /bin/bash -lc 'npm test -- auth'")+L("2026-11-20T09:00:20.000Z","Command completed: /bin/bash -lc 'npm test -- auth' (exit 0)")
log+=L("2026-11-20T09:00:21.000Z","Assistant message captured: Fixed the token expiry check in src/auth.js; the auth tests pass now.")+B("2026-11-20T09:00:21.000Z","Assistant message","Fixed the token expiry check in src/auth.js; the auth tests pass now.")
log+=L("2026-11-20T09:00:21.300Z","Turn completed.")+B("2026-11-20T09:00:21.350Z","Final output","Fixed the token expiry check in src/auth.js; the auth tests pass now.")
job(jid("task","2026-11-20T09:00:00.050Z","ok0001"),"task","Codex Task","completed","done","2026-11-20T09:00:00.050Z","2026-11-20T09:00:00.060Z","2026-11-20T09:00:21.340Z","fix the failing auth test",log,
    {"threadId":"019ea1b2-0000-7000-8000-000000000001","turnId":"019ea1b2-0000-7000-8000-000000000002","result":{"status":0,"threadId":"019ea1b2-0000-7000-8000-000000000001","rawOutput":"Fixed the token expiry check in src/auth.js; the auth tests pass now.","touchedFiles":["/home/ana/src/webapp/src/auth.js"],"reasoningSummary":[]},"rendered":"Fixed the token expiry check in src/auth.js; the auth tests pass now.\n"})
# 2 failed usage limit
t="2026-11-21T14:10:"
log=L(t+"00.100Z","Starting Codex Task.")+L(t+"00.800Z","Starting Codex task thread.")+L(t+"01.500Z","Thread ready (019ea1b2-0000-7000-8000-000000000011).")+L(t+"01.560Z","Turn started (019ea1b2-0000-7000-8000-000000000012).")
log+=L(t+"05.000Z","Codex error: You've hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/codex/settings/usage to purchase more credits or try again at 6:02 PM.")
log+=L(t+"05.100Z","Turn failed.")+B(t+"05.150Z","Final output","You've hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/codex/settings/usage to purchase more credits or try again at 6:02 PM.")
job(jid("task","2026-11-21T14:10:00.050Z","fail02"),"task","Codex Task","failed","failed","2026-11-21T14:10:00.050Z","2026-11-21T14:10:00.060Z","2026-11-21T14:10:05.140Z","review the session handling",log,
    {"threadId":"019ea1b2-0000-7000-8000-000000000011","turnId":"019ea1b2-0000-7000-8000-000000000012","result":{"status":1,"threadId":"019ea1b2-0000-7000-8000-000000000011","rawOutput":"","touchedFiles":[],"reasoningSummary":[]},"rendered":"You've hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/codex/settings/usage to purchase more credits or try again at 6:02 PM.\n"})
# 3 cancelled
t="2026-11-22T08:30:"
log=L(t+"00.100Z","Starting Codex Task.")+L(t+"00.101Z","Queued for background execution.")+L(t+"00.900Z","Starting Codex task thread.")+L(t+"01.400Z","Thread ready (019ea1b2-0000-7000-8000-000000000021).")+L(t+"01.450Z","Turn started (019ea1b2-0000-7000-8000-000000000022).")
log+=L(t+"04.000Z","Running command: /bin/bash -lc 'rg -n TODO src'")+L(t+"04.300Z","Command completed: /bin/bash -lc 'rg -n TODO src' (exit 0)")
log+=L(t+"40.000Z","Turn interrupted.")+L(t+"40.050Z","Requested Codex turn interrupt for 019ea1b2-0000-7000-8000-000000000022 on 019ea1b2-0000-7000-8000-000000000021.")+L(t+"40.200Z","Cancelled by user.")
job(jid("task","2026-11-22T08:30:00.050Z","canc03"),"task","Codex Task","cancelled","cancelled","2026-11-22T08:30:00.050Z","2026-11-22T08:30:00.800Z","2026-11-22T08:30:40.190Z","list the TODOs",log,
    {"threadId":"019ea1b2-0000-7000-8000-000000000021","turnId":"019ea1b2-0000-7000-8000-000000000022","errorMessage":"Cancelled by user.","cancelledAt":"2026-11-22T08:30:40.190Z","updatedAt":"2026-11-22T08:30:04.300Z",
     "request":{"cwd":"/home/ana/src/webapp","model":None,"effort":None,"prompt":"list the TODOs","write":False,"resumeLast":False,"jobId":jid("task","2026-11-22T08:30:00.050Z","canc03")}})
# 4 stalled: background, log ends at Turn started
t="2026-11-23T16:45:"
log=L(t+"00.100Z","Starting Codex Task.")+L(t+"00.101Z","Queued for background execution.")+L(t+"00.900Z","Starting Codex task thread.")+L(t+"01.400Z","Thread ready (019ea1b2-0000-7000-8000-000000000031).")+L(t+"01.450Z","Turn started (019ea1b2-0000-7000-8000-000000000032).")
job(jid("task","2026-11-23T16:45:00.050Z","stal04"),"task","Codex Task","running","starting","2026-11-23T16:45:00.050Z","2026-11-23T16:45:00.800Z",None,"migrate the config loader to TOML",log,
    {"threadId":"019ea1b2-0000-7000-8000-000000000031","request":{"cwd":"/home/ana/src/webapp","model":"gpt-5.4","effort":"high","prompt":"migrate the config loader to TOML","write":True,"resumeLast":False,"jobId":jid("task","2026-11-23T16:45:00.050Z","stal04")}},
    {"turnId":"019ea1b2-0000-7000-8000-000000000032"}, pid=48211)
# 5 in progress (relative to --now 2026-11-24T10:05:00Z)
t="2026-11-24T10:00:"
log=L(t+"00.100Z","Starting Codex Review.")+L(t+"00.700Z","Starting Codex review thread.")+L(t+"01.100Z","Thread ready (019ea1b2-0000-7000-8000-000000000041).")+L(t+"01.150Z","Turn started (019ea1b2-0000-7000-8000-000000000042).")+L(t+"01.200Z","Reviewer started: current changes")
log+=L(t+"30.000Z","Running command: /bin/bash -lc 'git diff --stat'")+L(t+"30.400Z","Command completed: /bin/bash -lc 'git diff --stat' (exit 0)")
job(jid("review","2026-11-24T10:00:00.050Z","prog05"),"review","Codex Review","running","reviewing","2026-11-24T10:00:00.050Z","2026-11-24T10:00:00.060Z",None,"Review working tree diff",log,
    {"threadId":"019ea1b2-0000-7000-8000-000000000041","turnId":"019ea1b2-0000-7000-8000-000000000042"}, pid=51377)
# 6 orphan log (no record, no index entry)
t="2026-11-24T09:00:"
log=L(t+"00.100Z","Starting Codex Task.")+L(t+"00.700Z","Starting Codex task thread.")+L(t+"01.100Z","Thread ready (019ea1b2-0000-7000-8000-000000000051).")+L(t+"01.150Z","Turn started (019ea1b2-0000-7000-8000-000000000052).")+L(t+"04.000Z","Codex error: unexpected status 500 Internal Server Error: {\"error\":{\"message\":\"An error occurred while processing your request.\",\"type\":\"server_error\"}}")
write(f"{sd}/jobs/"+jid("task","2026-11-24T09:00:00.050Z","orph06")+".log", log)
dump(f"{sd}/state.json", {"version":1,"config":{"stopReviewGate":False},"jobs":sorted(jobs,key=lambda j:j["updatedAt"],reverse=True)})
dump(f"{sd}/broker.json", {"endpoint":"unix:/tmp/cxc-Xa12Bc/broker.sock","pidFile":"/tmp/cxc-Xa12Bc/broker.pid","logFile":"/tmp/cxc-Xa12Bc/broker.log","sessionDir":"/tmp/cxc-Xa12Bc","pid":40001})
# Windows workspace: spawn ENOENT + sandbox 1920
jobs=[]
W=ws('Shop-Api','C:\\Users\\ana\\src\\Shop-Api')
sd=f"{data}/{W}"
logdir=f"C:\\Users\\ana\\.claude\\plugins\\data\\codex-openai-codex\\state\\{W}\\jobs"
def jobw(id, status, phase, created, completed, log, extra):
    rec={"id":id,"kind":"task","kindLabel":"rescue","title":"Codex Task","workspaceRoot":"C:/Users/ana/src/Shop-Api","jobClass":"task","summary":"why does checkout return 500","write":False,
         "createdAt":created,"sessionId":SID,"status":status,"phase":phase,"pid":None,"logFile":f"{logdir}\\{id}.log","startedAt":created,"completedAt":completed}
    rec.update(extra)
    idx={k:v for k,v in rec.items() if k not in ("result","rendered")}; idx["updatedAt"]=completed
    jobs.append(idx); dump(f"{sd}/jobs/{id}.json", rec); write(f"{sd}/jobs/{id}.log", log)
t="2026-11-19T07:41:"
ps='"C:\\WINDOWS\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" -Command'
out="Every shell command failed before it started:\n\n```\nwindows sandbox: runner error: CreateProcessAsUserW failed: 1920\n```\n\nI could not read the checkout controller."
log=L(t+"12.141Z","Starting Codex Task.")+L(t+"12.764Z","Starting Codex task thread.")+L(t+"14.198Z","Thread ready (019e8ff6-c653-75c1-8586-4f31b49195cd).")+L(t+"14.263Z","Turn started (019e8ff6-c668-7564-a9fd-251a6851121c).")
for i,c in enumerate(["git status --short","Get-Content src/Checkout/Controller.cs","rg -n Checkout src"]):
    log+=L(f"{t}2{i}.755Z",f"Running command: {ps} '{c}'")+L(f"{t}2{i}.802Z",f"Command failed: {ps} '{c}' (exit -1)")
log+=L(t+"32.430Z","Assistant message captured: Every shell command failed before it started:")+B(t+"32.430Z","Assistant message",out)+L(t+"32.876Z","Turn completed.")+B(t+"32.895Z","Final output",out)
jobw(jid("task","2026-11-19T07:41:12.100Z","win007"),"completed","done","2026-11-19T07:41:12.100Z","2026-11-19T07:41:32.890Z",log,
     {"threadId":"019e8ff6-c653-75c1-8586-4f31b49195cd","turnId":"019e8ff6-c668-7564-a9fd-251a6851121c","result":{"status":0,"threadId":"019e8ff6-c653-75c1-8586-4f31b49195cd","rawOutput":out,"touchedFiles":[],"reasoningSummary":[]},"rendered":out+"\n"})
log=L("2026-11-19T08:02:10.500Z","Starting Codex Task.")
jobw(jid("task","2026-11-19T08:02:10.400Z","win008"),"failed","failed","2026-11-19T08:02:10.400Z","2026-11-19T08:02:11.020Z",log,{"errorMessage":"spawn codex ENOENT"})
dump(f"{sd}/state.json", {"version":1,"config":{"stopReviewGate":False},"jobs":sorted(jobs,key=lambda j:j["updatedAt"],reverse=True)})
dump(f"{sd}/broker.json", {"endpoint":"pipe:\\\\.\\pipe\\cxc-Q1w2E3-codex-app-server","pidFile":"C:\\Users\\ana\\AppData\\Local\\Temp\\cxc-Q1w2E3\\broker.pid","logFile":"C:\\Users\\ana\\AppData\\Local\\Temp\\cxc-Q1w2E3\\broker.log","sessionDir":"C:\\Users\\ana\\AppData\\Local\\Temp\\cxc-Q1w2E3","pid":7720})
# per-run layout
pr=f"{root}/plugins/cache/openai-codex/codex/1.0.4/jobs/run-20261118-01"
log=L("2026-11-18T20:12:00.000Z","Starting Codex Task.")+L("2026-11-18T20:12:01.000Z","Starting Codex task thread.")+L("2026-11-18T20:12:02.000Z","Thread ready (019e8a00-0000-7000-8000-0000000000a1).")+L("2026-11-18T20:12:02.100Z","Turn started (019e8a00-0000-7000-8000-0000000000a2).")
log+=L("2026-11-18T20:12:05.000Z",f"Running command: {ps} 'Get-ChildItem'")+L("2026-11-18T20:12:05.040Z",f"Command failed: {ps} 'Get-ChildItem' (exit -1)")
log+=L("2026-11-18T20:12:09.000Z","Assistant message captured: windows sandbox: runner error: CreateProcessAsUserW failed: 1920")+B("2026-11-18T20:12:09.000Z","Assistant message","The sandbox refused to start any process: windows sandbox: runner error: CreateProcessAsUserW failed: 1920")
log+=L("2026-11-18T20:12:09.400Z","Turn completed.")+B("2026-11-18T20:12:09.450Z","Final output","The sandbox refused to start any process: windows sandbox: runner error: CreateProcessAsUserW failed: 1920")
write(f"{pr}/turn.log", log)
dump(f"{pr}/job.json", {"id":"run-20261118-01","kind":"task","title":"Codex Task","status":"completed","phase":"done","workspaceRoot":"C:/Users/ana/src/Shop-Api","createdAt":"2026-11-18T20:11:59.900Z","completedAt":"2026-11-18T20:12:09.440Z"})
