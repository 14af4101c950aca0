# Runs an example program and checks what it produced; the examples.* tests call it.
#   -DPROGRAM=...        the program
#   -DARGS=a;b;c         its arguments
#   -DXVFB_RUN=...       run it under xvfb-run, in a virtual X server of its own
#   -DEXPECT_OUTPUT=re   its stdout must match this regex
#   -DJSON_OUTPUT=1 -DPYTHON=...   its stdout must parse as JSON (python3 -m json.tool)
#   -DMP4=... -DFFPROBE=... -DEXPECT=re;re   ffprobe's "codec,frames" lines must match each regex
#   -DAUDIO=... -DAUDIO_SECONDS=n   SDL's disk driver file: about n s of 48 kHz stereo float32,
#                                    not all silence
foreach(file IN ITEMS ${MP4} ${AUDIO})
  file(REMOVE ${file})
endforeach()
set(command ${PROGRAM} ${ARGS})
if(XVFB_RUN)
  set(command ${XVFB_RUN} -a -s "-screen 0 1280x1024x24" ${command})
endif()
execute_process(COMMAND ${command} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "${command}\n${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} exited with ${rc}")
endif()
if(DEFINED EXPECT_OUTPUT AND NOT out MATCHES "${EXPECT_OUTPUT}")
  message(FATAL_ERROR "the output does not match '${EXPECT_OUTPUT}'")
endif()

if(JSON_OUTPUT)
  if(NOT PYTHON)
    message(FATAL_ERROR "no python3 to check the JSON with")
  endif()
  get_filename_component(name ${PROGRAM} NAME)
  set(json_file ${CMAKE_CURRENT_BINARY_DIR}/${name}_output.json)
  file(WRITE ${json_file} "${out}")
  execute_process(COMMAND ${PYTHON} -m json.tool ${json_file} RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the output is not JSON: ${err}")
  endif()
endif()

if(MP4)
  execute_process(COMMAND ${FFPROBE} -v error -count_frames -show_entries stream=codec_name,nb_read_frames
                          -of csv=p=0 ${MP4}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE probe ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "ffprobe ${MP4} failed: ${err}")
  endif()
  foreach(re IN LISTS EXPECT)
    if(NOT probe MATCHES "${re}")
      message(FATAL_ERROR "expected '${re}' in ${MP4}, ffprobe says:\n${probe}")
    endif()
  endforeach()
  message(STATUS "${MP4}: ${probe}")
endif()

if(AUDIO)
  if(NOT EXISTS ${AUDIO})
    message(FATAL_ERROR "no audio file ${AUDIO}: was SDL_AUDIODRIVER=disk set?")
  endif()
  file(SIZE ${AUDIO} size)
  math(EXPR expected "${AUDIO_SECONDS} * 48000 * 2 * 4")
  math(EXPR least "${expected} * 3 / 4")
  if(size LESS least)
    message(FATAL_ERROR "${AUDIO} holds ${size} bytes, expected about ${expected}")
  endif()
  # Past the first 100 ms (silence until playback starts): some sample is not zero.
  file(READ ${AUDIO} samples OFFSET 38400 LIMIT 384000 HEX)
  if(NOT samples MATCHES "[1-9a-f]")
    message(FATAL_ERROR "${AUDIO} is all silence")
  endif()
  message(STATUS "${AUDIO}: ${size} bytes (about ${expected} expected), not silent")
endif()
