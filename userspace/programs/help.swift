// help — what the shell offers.
@main struct Main {
    static func main() {
        print("""
            Apus shell. a; b  a | b  a &  > F  >> F  < F  2> F  2>&1  'literal'  "with $VAR"  NAME=VALUE
            $? last status, $! last job. Up arrow or !! repeats a line. sh FILE runs a script.
            Builtins:  cd [DIR]  pwd  exit [N]  history  jobs  wait [%N|PID]  export  unset
            Programs (PATH, default /bin; or a path: /u/prog.wasm):
                       ls [-l] [PATH…]    cat [FILE…]      echo [-n] WORD…   mkdir [-p] DIR…
                       rm [-r] PATH…      cp SRC… DST      mv SRC… DST       touch FILE…
                       head [-n N]        tail [-n N]      grep [-ivncq] PATTERN [FILE…]
                       sha256sum [FILE…]  wc [FILE…]       ps                kill PID…
                       mem                uptime           help              shutdown
            IPC:       pingpong [N] (channels)    kvs put K V | get K | count (calls the service kvstore)
            Tests:     crash [unreachable|memory|stack]   badptr   spin [SECONDS]
            Ctrl-C stops the running program.
            """)
    }
}
