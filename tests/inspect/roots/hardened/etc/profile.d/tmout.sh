# idle shells end after 15 minutes
readonly TMOUT=900
export TMOUT
