# Runs the record_mp4 example for 2 s and checks its file with ffprobe: an h264 stream of 60
# frames and an aac stream. -DPROGRAM=... -DOUT=... -DFFPROBE=...
file(REMOVE ${OUT})
execute_process(COMMAND ${PROGRAM} ${OUT} 2 RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "record_mp4 exited with ${rc}\n${out}\n${err}")
endif()
execute_process(COMMAND ${FFPROBE} -v error -count_frames -show_entries stream=codec_name,nb_read_frames
                        -of csv=p=0 ${OUT}
                RESULT_VARIABLE rc OUTPUT_VARIABLE probe ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ffprobe ${OUT} failed: ${err}")
endif()
if(NOT probe MATCHES "h264,60")
  message(FATAL_ERROR "expected an h264 stream of 60 frames in ${OUT}, ffprobe says:\n${probe}")
endif()
if(NOT probe MATCHES "aac,")
  message(FATAL_ERROR "expected an aac stream in ${OUT}, ffprobe says:\n${probe}")
endif()
message(STATUS "record_mp4 wrote ${OUT}: ${probe}")
