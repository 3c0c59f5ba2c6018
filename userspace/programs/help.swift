// help — what the shell offers.
@main struct Main {
    static func main() {
        print("""
            Apus shell. Commands are separated by ';'. Up arrow or !! repeats a line; $? is the last status.
            Builtins:  cd [DIR]  pwd  exit [N]  history
            Programs:  ls [-l] [PATH…]    cat [FILE…]      echo [-n] WORD…   mkdir [-p] DIR…
                       rm [-r] PATH…      wc [FILE…]       ps                kill PID…
                       mem                uptime           help              shutdown
            IPC:       pingpong [N] (channels)    kvs put K V | get K | count (calls the service kvstore)
            Tests:     crash [unreachable|memory|stack]   badptr   spin [SECONDS]
            Ctrl-C stops the running program.
            """)
    }
}
