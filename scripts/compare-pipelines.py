#!/usr/bin/env python3
"""Compares the pose pipelines from the reference outputs in
tests/fixtures/reference/ (numbers only; standard library only).

For each pipeline: people found against the true count (checked by eye), how
many of them match a YOLO11n-pose@640 person (box IoU >= 0.5), and keypoint
agreement with YOLO11n-pose@640 on keypoints both are confident about
(>= 0.5): PCK@0.1 (share within 10 % of the person's box height) and the mean
distance over box height.

    python3 scripts/compare-pipelines.py
"""
import json,glob,os
truth={'bus':4,'zidane':2,'seated-group':6,'astronaut':1,'frame-014':1,'frame-043':2,'frame-071':2,'frame-100':2,'frame-129':2,'frame-158':2,'frame-186':2,'frame-215':1}
def iou(a,b):
    w=max(0,min(a[2],b[2])-max(a[0],b[0])); h=max(0,min(a[3],b[3])-max(a[1],b[1])); i=w*h
    u=(a[2]-a[0])*(a[3]-a[1])+(b[2]-b[0])*(b[3]-b[1])-i
    return i/u if u>0 else 0
root=os.path.join(os.path.dirname(os.path.abspath(__file__)),'..')
files=sorted(glob.glob(os.path.join(root,'tests/fixtures/reference/*.json')))
data={os.path.basename(f)[:-5]:json.load(open(f)) for f in files}
pipes=list(data['bus']['pipelines'].keys())
print(f"| pipeline | people found (true {sum(truth.values())}) | matched to YOLO@640 | PCK@0.1 vs YOLO@640 | mean kp dist / box h |")
for p in pipes:
    found=0; matched=0; within=0; tot=0; dsum=0
    for k,d in data.items():
        ppl=d['pipelines'][p]['people']; ref=d['pipelines']['yolo11n-pose@640']['people']
        found+=len(ppl)
        used=set()
        for r in ref:
            best=None;bi=0.5
            for i,q in enumerate(ppl):
                if i in used: continue
                v=iou(r['box'],q['box'])
                if v>=bi: best,bi=i,v
            if best is None: continue
            used.add(best); matched+=1
            h=r['box'][3]-r['box'][1]
            for a,b in zip(ppl[best]['keypoints'],r['keypoints']):
                if a[2]>=0.5 and b[2]>=0.5:
                    dd=((a[0]-b[0])**2+(a[1]-b[1])**2)**0.5/h
                    tot+=1; dsum+=dd; within+= dd<0.1
    print(f"| {p} | {found} | {matched} | {within/max(tot,1):.2} ({tot}) | {dsum/max(tot,1):.3} |")
