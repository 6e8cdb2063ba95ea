"""psd_time.py: PySceneDetect's ContentDetector (defaults) on one video, timed
by itself (imports excluded, as the project's comparisons quote it), for
bench/50-pipeline.sh. Prints one line:
  psd FRAMES frames in SECONDS s, FPS frames/s, peak RSS MiB, cuts C1 C2 ...
usage: psd_time.py VIDEO"""
import resource
import sys
import time

from scenedetect import ContentDetector, SceneManager, open_video

t0 = time.time()
video = open_video(sys.argv[1])
sm = SceneManager()
sm.add_detector(ContentDetector())
sm.detect_scenes(video)
dt = time.time() - t0
cuts = [start.frame_num for start, _ in sm.get_scene_list()[1:]]
n = video.frame_number
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
print("psd %d frames in %.3f s, %.1f frames/s, peak RSS %.1f MiB, cuts %s"
      % (n, dt, n / dt, rss, " ".join(map(str, cuts))))
