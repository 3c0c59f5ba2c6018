import Testing
@testable import WasmCompiler

/// Exact encodings, checked against GNU objdump's Intel-syntax disassembly.
@Suite struct X64AssemblerTests {
    typealias Case = (expected: String, emit: (inout X64Assembler) -> Void)

    /// Assembles each case separately, disassembles the concatenation, and compares the texts
    /// instruction by instruction (each case must be exactly one instruction).
    func check(_ cases: [Case], sourceLocation: SourceLocation = #_sourceLocation) throws {
        var all: [UInt8] = []
        var starts: [Int] = []
        for testCase in cases {
            var assembler = X64Assembler()
            testCase.emit(&assembler)
            let resolved = assembler.resolveFixups()
            #expect(resolved)
            starts.append(all.count)
            all += assembler.bytes
        }
        let lines = try disassemble(all)
        #expect(lines.count == cases.count, sourceLocation: sourceLocation)
        for (index, testCase) in cases.enumerated() where index < lines.count {
            #expect(lines[index].offset == starts[index], "\(testCase.expected)", sourceLocation: sourceLocation)
            #expect(lines[index].text == testCase.expected, sourceLocation: sourceLocation)
        }
    }

    @Test func moves() throws {
        try check([
            ("mov rax,rbx", { $0.mov(.bits64, .rax, .rbx) }),
            ("mov r8d,r15d", { $0.mov(.bits32, .r8, .r15) }),
            ("mov rax,QWORD PTR [r12]", { $0.mov(.bits64, .rax, .at(.r12)) }),
            ("mov rax,QWORD PTR [r13+0x0]", { $0.mov(.bits64, .rax, .at(.r13)) }),
            ("mov rax,QWORD PTR [rsp]", { $0.mov(.bits64, .rax, .at(.rsp)) }),
            ("mov rax,QWORD PTR [rbp+0x0]", { $0.mov(.bits64, .rax, .at(.rbp)) }),
            ("mov ecx,DWORD PTR [rbp-0x8]", { $0.mov(.bits32, .rcx, .at(.rbp, -8)) }),
            ("mov r11,QWORD PTR [r15+0x100]", { $0.mov(.bits64, .r11, .at(.r15, 256)) }),
            ("mov QWORD PTR [rsp+0x10],r9", { $0.mov(.bits64, .at(.rsp, 16), .r9) }),
            ("mov DWORD PTR [r14+rax*1+0x7fffffff],edx", { $0.mov(.bits32, X64Memory(base: .r14, index: .rax, displacement: Int32.max), .rdx) }),
            ("mov WORD PTR [r14+r12*1],si", { $0.mov(.bits16, X64Memory(base: .r14, index: .r12), .rsi) }),
            ("mov BYTE PTR [r14+r11*1],sil", { $0.mov(.bits8, X64Memory(base: .r14, index: .r11), .rsi) }),
            ("mov BYTE PTR [rax],dil", { $0.mov(.bits8, .at(.rax), .rdi) }),
            ("mov BYTE PTR [rax],bl", { $0.mov(.bits8, .at(.rax), .rbx) }),
            ("mov QWORD PTR [rdx+rcx*8-0x8],rax", { $0.mov(.bits64, X64Memory(base: .rdx, index: .rcx, scale: 8, displacement: -8), .rax) }),
            ("mov DWORD PTR [rbp-0x10],0xffffffff", { $0.mov(.bits32, .at(.rbp, -16), immediate: -1) }),
            ("mov QWORD PTR [rsp+0x8],0x7b", { $0.mov(.bits64, .at(.rsp, 8), immediate: 123) }),
            ("mov eax,0x0", { $0.movImmediate(.bits64, .rax, 0) }),
            ("mov r9d,0xffffffff", { $0.movImmediate(.bits64, .r9, 0xFFFF_FFFF) }),
            ("mov r10,0xffffffffffffff85", { $0.movImmediate(.bits64, .r10, UInt64(bitPattern: -123)) }),
            ("movabs r11,0x123456789abcdef0", { $0.movImmediate(.bits64, .r11, 0x1234_5678_9ABC_DEF0) }),
            ("movabs rax,0x1", { $0.movabs(.rax, 1) }),
            ("mov ecx,0xfffffffe", { $0.movImmediate(.bits32, .rcx, UInt64(bitPattern: -2)) }),
            ("movzx eax,sil", { $0.movzx(.bits32, .rax, .rsi, from: .bits8) }),
            ("movzx r8d,BYTE PTR [r14+rax*1+0x10]", { $0.movzx(.bits32, .r8, X64Memory(base: .r14, index: .rax, displacement: 16), from: .bits8) }),
            ("movzx eax,WORD PTR [r14+rcx*1]", { $0.movzx(.bits32, .rax, X64Memory(base: .r14, index: .rcx), from: .bits16) }),
            ("movzx eax,bpl", { $0.movzx(.bits32, .rax, .rbp, from: .bits8) }),
            ("movsx eax,spl", { $0.movsx(.bits32, .rax, .rsp, from: .bits8) }),
            ("movsx rax,dil", { $0.movsx(.bits64, .rax, .rdi, from: .bits8) }),
            ("movsx r12,WORD PTR [r14+rax*1]", { $0.movsx(.bits64, .r12, X64Memory(base: .r14, index: .rax), from: .bits16) }),
            ("movsx eax,cx", { $0.movsx(.bits32, .rax, .rcx, from: .bits16) }),
            ("movsxd rax,ecx", { $0.movsx(.bits64, .rax, .rcx, from: .bits32) }),
            ("movsxd r13,DWORD PTR [r14+rax*1]", { $0.movsx(.bits64, .r13, X64Memory(base: .r14, index: .rax), from: .bits32) }),
            ("lea rax,[rsp-0x1000]", { $0.lea(.rax, .at(.rsp, -4096)) }),
            ("lea r11,[rbp+0x10]", { $0.lea(.r11, .at(.rbp, 16)) }),
            ("lea eax,[rcx+0x1]", { $0.lea(.bits32, .rax, .at(.rcx, 1)) }),
        ])
    }

    @Test func arithmetic() throws {
        try check([
            ("add rax,rbx", { $0.alu(.add, .bits64, .rax, .rbx) }),
            ("add r12d,r13d", { $0.alu(.add, .bits32, .r12, .r13) }),
            ("sub ecx,DWORD PTR [rbp-0x18]", { $0.alu(.sub, .bits32, .rcx, .at(.rbp, -24)) }),
            ("and QWORD PTR [rsp],rax", { $0.alu(.and, .bits64, .at(.rsp), .rax) }),
            ("or eax,0x7f", { $0.alu(.or, .bits32, .rax, immediate: 127) }),
            ("xor r9,0xffffffffffffff80", { $0.alu(.xor, .bits64, .r9, immediate: -128) }),
            ("cmp eax,0x80", { $0.alu(.cmp, .bits32, .rax, immediate: 128) }),
            ("cmp rax,0xffffffff80000000", { $0.alu(.cmp, .bits64, .rax, immediate: Int32.min) }),
            ("cmp DWORD PTR [rbp-0x8],0x1", { $0.alu(.cmp, .bits32, .at(.rbp, -8), immediate: 1) }),
            ("sub rsp,0x12345", { $0.alu(.sub, .bits64, .rsp, immediate: 0x12345) }),
            ("adc edx,esi", { $0.alu(.adc, .bits32, .rdx, .rsi) }),
            ("sbb r15,r8", { $0.alu(.sbb, .bits64, .r15, .r8) }),
            ("cmp r11,QWORD PTR [rax]", { $0.alu(.cmp, .bits64, .r11, .at(.rax)) }),
            ("test eax,eax", { $0.test(.bits32, .rax, .rax) }),
            ("test r10,r11", { $0.test(.bits64, .r10, .r11) }),
            ("test sil,0x1", { $0.test(.bits8, .rsi, immediate: 1) }),
            ("test edi,0x100", { $0.test(.bits32, .rdi, immediate: 256) }),
            ("neg rax", { $0.unary(.neg, .bits64, .rax) }),
            ("not r13d", { $0.unary(.not, .bits32, .r13) }),
            ("mul rcx", { $0.unary(.mul, .bits64, .rcx) }),
            ("div r8d", { $0.unary(.div, .bits32, .r8) }),
            ("idiv rsi", { $0.unary(.idiv, .bits64, .rsi) }),
            ("idiv DWORD PTR [rbp-0x20]", { $0.unary(.idiv, .bits32, .at(.rbp, -32)) }),
            ("imul eax,ecx", { $0.imul(.bits32, .rax, .rcx) }),
            ("imul r12,QWORD PTR [rbp-0x8]", { $0.imul(.bits64, .r12, .at(.rbp, -8)) }),
            ("imul eax,ecx,0xa", { $0.imul(.bits32, .rax, .rcx, immediate: 10) }),
            ("imul r9,r10,0x3e8", { $0.imul(.bits64, .r9, .r10, immediate: 1000) }),
            ("cdq", { $0.signExtendAccumulator(.bits32) }),
            ("cqo", { $0.signExtendAccumulator(.bits64) }),
            ("inc rax", { $0.inc(.bits64, .rax) }),
            ("dec r11d", { $0.dec(.bits32, .r11) }),
        ])
    }

    @Test func shiftsAndBits() throws {
        try check([
            ("shl eax,cl", { $0.shift(.shl, .bits32, .rax) }),
            ("sar r9,cl", { $0.shift(.sar, .bits64, .r9) }),
            ("shr rdx,0x3f", { $0.shift(.shr, .bits64, .rdx, immediate: 63) }),
            ("rol r12d,0x5", { $0.shift(.rol, .bits32, .r12, immediate: 5) }),
            ("ror rax,1", { $0.shift(.ror, .bits64, .rax, immediate: 1) }),
            ("bt rax,0x3f", { $0.bitTest(.bt, .bits64, .rax, bit: 63) }),
            ("btr r11,0x3f", { $0.bitTest(.btr, .bits64, .r11, bit: 63) }),
            ("btc r11d,0x1f", { $0.bitTest(.btc, .bits32, .r11, bit: 31) }),
            ("bts ecx,0x0", { $0.bitTest(.bts, .bits32, .rcx, bit: 0) }),
            ("lzcnt eax,ecx", { $0.bitCount(.lzcnt, .bits32, .rax, .rcx) }),
            ("lzcnt r8,r13", { $0.bitCount(.lzcnt, .bits64, .r8, .r13) }),
            ("tzcnt rax,r12", { $0.bitCount(.tzcnt, .bits64, .rax, .r12) }),
            ("popcnt r10d,edx", { $0.bitCount(.popcnt, .bits32, .r10, .rdx) }),
            ("popcnt rax,rax", { $0.bitCount(.popcnt, .bits64, .rax, .rax) }),
            ("bsr eax,r9d", { $0.bitCount(.bsr, .bits32, .rax, .r9) }),
            ("bsf r11,rsi", { $0.bitCount(.bsf, .bits64, .r11, .rsi) }),
            ("sete al", { $0.setcc(.equal, .rax) }),
            ("setb sil", { $0.setcc(.below, .rsi) }),
            ("setnp dil", { $0.setcc(.noParity, .rdi) }),
            ("setg bpl", { $0.setcc(.greater, .rbp) }),
            ("setle r12b", { $0.setcc(.lessOrEqual, .r12) }),
            ("setae spl", { $0.setcc(.aboveOrEqual, .rsp) }),
            ("seta bl", { $0.setcc(.above, .rbx) }),
            ("cmove eax,ecx", { $0.cmov(.equal, .bits32, .rax, .rcx) }),
            ("cmovl r8,QWORD PTR [rbp-0x10]", { $0.cmov(.less, .bits64, .r8, .at(.rbp, -16)) }),
            ("cmovne r13,r14", { $0.cmov(.notEqual, .bits64, .r13, .r14) }),
        ])
    }

    @Test func control() throws {
        try check([
            ("call rax", { $0.call(.rax) }),
            ("call r11", { $0.call(.r11) }),
            ("call QWORD PTR [r15+0x30]", { $0.call(.at(.r15, 48)) }),
            ("call QWORD PTR [rax+0x20]", { $0.call(.at(.rax, 32)) }),
            ("jmp r11", { $0.jmp(.r11) }),
            ("jmp QWORD PTR [rax+rcx*8]", { $0.jmp(X64Memory(base: .rax, index: .rcx, scale: 8)) }),
            ("ret", { $0.ret() }),
            ("leave", { $0.leave() }),
            ("push rbp", { $0.push(.rbp) }),
            ("push r15", { $0.push(.r15) }),
            ("pop r12", { $0.pop(.r12) }),
            ("pop rbx", { $0.pop(.rbx) }),
            ("ud2", { $0.ud2() }),
            ("int3", { $0.int3() }),
            ("nop", { $0.nop() }),
            ("rep stos QWORD PTR es:[rdi],rax", { $0.repStosq() }),
        ])
    }

    /// Label references: backward short/near, forward short/near, and RIP-relative operands.
    @Test func labelsAndFixups() throws {
        var assembler = X64Assembler()
        let top = assembler.newLabel()
        let forward = assembler.newLabel()
        let farForward = assembler.newLabel()
        let data = assembler.newLabel()
        assembler.bind(top)                              // 0
        assembler.nop()                                  // 0: 1 byte
        assembler.jcc(.notEqual, top)                    // 1: 75 fd (short back)
        assembler.jcc(.equal, forward, short: true)      // 3: 74 xx
        assembler.jmp(farForward)                        // 5: e9 rel32
        assembler.bind(forward)                          // 10
        assembler.call(top)                              // 10: e8 rel32
        assembler.mov(.bits64, .rax, X64Memory(rip: data)) // 15: 7 bytes
        assembler.alu(.cmp, .bits64, X64Memory(rip: data), immediate: 1000) // 22: 11 bytes (imm32 after disp)
        for _ in 0..<130 { assembler.nop() }             // 33..<163
        assembler.jcc(.below, top)                       // 163: 0f 82 rel32 (too far for rel8)
        assembler.jmp(top)                               // 169: e9 rel32
        assembler.bind(farForward)                       // 174
        assembler.bind(data)
        assembler.emit64(0)
        let resolved = assembler.resolveFixups()
            #expect(resolved)
        let lines = try disassemble(assembler.bytes)
        let texts = lines.map { $0.text }
        #expect(texts[1] == "jne 0x0")
        #expect(texts[2] == "je 0xa")
        #expect(texts[3] == "jmp 0xae")
        #expect(texts[4] == "call 0x0")
        #expect(texts[5].hasPrefix("mov rax,QWORD PTR [rip+0x98]"))   // 174 - 22
        #expect(texts[6].hasPrefix("cmp QWORD PTR [rip+0x8d],0x3e8")) // 174 - 33
        #expect(lines[137].offset == 163 && texts[137] == "jb 0x0")
        #expect(lines[138].offset == 169 && texts[138] == "jmp 0x0")
    }

    @Test func sse() throws {
        try check([
            ("movss xmm0,xmm1", { $0.movFloat(.single, .xmm0, .xmm1) }),
            ("movsd xmm8,xmm15", { $0.movFloat(.double, .xmm8, .xmm15) }),
            ("movss xmm3,DWORD PTR [rbp-0x18]", { $0.movFloat(.single, .xmm3, .at(.rbp, -24)) }),
            ("movsd QWORD PTR [rsp+0x8],xmm12", { $0.movFloat(.double, .at(.rsp, 8), .xmm12) }),
            ("movsd xmm1,QWORD PTR [r14+rax*1+0x8]", { $0.movFloat(.double, .xmm1, X64Memory(base: .r14, index: .rax, displacement: 8)) }),
            ("movaps xmm2,xmm9", { $0.movaps(.xmm2, .xmm9) }),
            ("movd xmm0,eax", { $0.movToXMM(.bits32, .xmm0, .rax) }),
            ("movq xmm9,r11", { $0.movToXMM(.bits64, .xmm9, .r11) }),
            ("movd r8d,xmm2", { $0.movFromXMM(.bits32, .r8, .xmm2) }),
            ("movq rax,xmm15", { $0.movFromXMM(.bits64, .rax, .xmm15) }),
            ("addss xmm0,xmm1", { $0.floatArithmetic(.add, .single, .xmm0, .xmm1) }),
            ("subsd xmm10,xmm11", { $0.floatArithmetic(.sub, .double, .xmm10, .xmm11) }),
            ("mulss xmm2,DWORD PTR [rbp-0x20]", { $0.floatArithmetic(.mul, .single, .xmm2, .at(.rbp, -32)) }),
            ("divsd xmm4,xmm5", { $0.floatArithmetic(.div, .double, .xmm4, .xmm5) }),
            ("sqrtss xmm6,xmm6", { $0.floatArithmetic(.sqrt, .single, .xmm6, .xmm6) }),
            ("sqrtsd xmm0,xmm14", { $0.floatArithmetic(.sqrt, .double, .xmm0, .xmm14) }),
            ("minss xmm1,xmm2", { $0.floatArithmetic(.min, .single, .xmm1, .xmm2) }),
            ("maxsd xmm1,xmm2", { $0.floatArithmetic(.max, .double, .xmm1, .xmm2) }),
            ("andps xmm0,xmm15", { $0.floatBitwise(.and, .single, .xmm0, .xmm15) }),
            ("andnpd xmm1,xmm2", { $0.floatBitwise(.andn, .double, .xmm1, .xmm2) }),
            ("orps xmm3,xmm4", { $0.floatBitwise(.or, .single, .xmm3, .xmm4) }),
            ("xorpd xmm13,xmm13", { $0.floatBitwise(.xor, .double, .xmm13, .xmm13) }),
            ("ucomiss xmm0,xmm1", { $0.ucomis(.single, .xmm0, .xmm1) }),
            ("ucomisd xmm8,xmm2", { $0.ucomis(.double, .xmm8, .xmm2) }),
            ("ucomisd xmm0,QWORD PTR [rbp-0x8]", { $0.ucomis(.double, .xmm0, .at(.rbp, -8)) }),
            ("cvtsi2ss xmm0,eax", { $0.cvtIntToFloat(.single, .xmm0, .rax, .bits32) }),
            ("cvtsi2sd xmm1,r9", { $0.cvtIntToFloat(.double, .xmm1, .r9, .bits64) }),
            ("cvtsi2ss xmm12,r12", { $0.cvtIntToFloat(.single, .xmm12, .r12, .bits64) }),
            ("cvttss2si eax,xmm0", { $0.cvtFloatToInt(.single, .rax, .bits32, .xmm0) }),
            ("cvttsd2si r10,xmm11", { $0.cvtFloatToInt(.double, .r10, .bits64, .xmm11) }),
            ("cvtss2sd xmm0,xmm1", { $0.cvtFloatToFloat(from: .single, .xmm0, .xmm1) }),
            ("cvtsd2ss xmm9,xmm2", { $0.cvtFloatToFloat(from: .double, .xmm9, .xmm2) }),
            ("roundss xmm0,xmm1,0x9", { $0.round(.single, .xmm0, .xmm1, .floor) }),
            ("roundsd xmm10,xmm3,0xa", { $0.round(.double, .xmm10, .xmm3, .ceil) }),
        ])
    }

    /// Every packed form, by mnemonic (the case names are the mnemonics), with a high register
    /// on each side and with a REX-extended memory operand.
    @Test func vectorInstructions() throws {
        // Forms that read 64 bits from memory; movlhps/movhlps have no memory form (those
        // encodings are movhps/movlps).
        let halfWidth: [X64Assembler.VectorOperation] = [.cvtdq2pd, .cvtps2pd, .pmovsxbw, .pmovsxwd, .pmovsxdq,
                                                         .pmovzxbw, .pmovzxwd, .pmovzxdq]
        var cases: [Case] = []
        for operation in X64Assembler.VectorOperation.allCases {
            let name = String(describing: operation)
            let implicit = operation == .pblendvb ? ",xmm0" : ""
            cases.append((name + " xmm1,xmm10" + implicit, { $0.vector(operation, .xmm1, .xmm10) }))
            guard operation != .movlhps && operation != .movhlps else { continue }
            let width = halfWidth.contains(operation) ? "QWORD" : "XMMWORD"
            cases.append((name + " xmm9," + width + " PTR [r13+0x10]" + implicit,
                          { $0.vector(operation, .xmm9, .at(.r13, 16)) }))
        }
        for operation in X64Assembler.VectorImmediateOperation.allCases {
            // objdump names the compare predicates (5 = not less than).
            var text = String(describing: operation) + " xmm2,xmm11,0x5"
            if operation == .cmpps { text = "cmpnltps xmm2,xmm11" }
            if operation == .cmppd { text = "cmpnltpd xmm2,xmm11" }
            cases.append((text, { $0.vector(operation, .xmm2, .xmm11, immediate: 5) }))
        }
        for operation in X64Assembler.VectorShiftImmediate.allCases {
            let name = String(describing: operation)
            cases.append((name + " xmm12,0x7", { $0.vectorShift(operation, .xmm12, by: 7) }))
        }
        try check(cases)
    }

    /// Every VEX form against objdump: two-source forms with a high register in each operand
    /// (so both the two- and three-byte prefixes and every inverted field are exercised).
    @Test func vexInstructions() throws {
        let halfWidth: [X64Assembler.VectorOperation] = [.cvtdq2pd, .cvtps2pd, .pmovsxbw, .pmovsxwd, .pmovsxdq,
                                                         .pmovzxbw, .pmovzxwd, .pmovzxdq]
        var cases: [Case] = []
        for operation in X64Assembler.VectorOperation.allCases where operation != .pblendvb {
            let name = "v" + String(describing: operation)
            if operation.isSingleSource {
                cases.append((name + " xmm1,xmm10", { $0.vex(operation, .xmm1, .xmm10) }))
            } else {
                cases.append((name + " xmm1,xmm10,xmm3", { $0.vex(operation, .xmm1, .xmm10, .xmm3) }))
                cases.append((name + " xmm12,xmm2,xmm9", { $0.vex(operation, .xmm12, .xmm2, .xmm9) }))
                guard operation != .movlhps && operation != .movhlps else { continue }
                let width = halfWidth.contains(operation) ? "QWORD" : "XMMWORD"
                cases.append((name + " xmm9,xmm4," + width + " PTR [r13+r9*4+0x10]",
                              { $0.vex(operation, .xmm9, .xmm4, X64Memory(base: .r13, index: .r9, scale: 4, displacement: 16)) }))
            }
        }
        for operation in X64Assembler.VectorImmediateOperation.allCases {
            let name = "v" + String(describing: operation)
            var text = operation.isSingleSource ? name + " xmm2,xmm11,0x5" : name + " xmm2,xmm7,xmm11,0x5"
            if operation == .cmpps { text = "vcmpnltps xmm2,xmm7,xmm11" }
            if operation == .cmppd { text = "vcmpnltpd xmm2,xmm7,xmm11" }
            cases.append((text, { $0.vex(operation, .xmm2, .xmm7, .xmm11, immediate: 5) }))
        }
        for operation in X64Assembler.VectorShiftImmediate.allCases {
            let name = "v" + String(describing: operation)
            cases.append((name + " xmm12,xmm3,0x7", { $0.vexShift(operation, .xmm12, .xmm3, by: 7) }))
        }
        for blend in X64Assembler.VariableBlend.allCases {
            cases.append((String(describing: blend) + " xmm1,xmm2,xmm13,xmm4", { $0.vex(blend, .xmm1, .xmm2, .xmm13, mask: .xmm4) }))
        }
        for operation in X64Assembler.FusedMultiplyAdd.allCases {
            cases.append((String(describing: operation) + " xmm8,xmm1,xmm15", { $0.vex(operation, .xmm8, .xmm1, .xmm15) }))
        }
        for broadcast in X64Assembler.Broadcast.allCases {
            cases.append((String(describing: broadcast) + " xmm3,xmm9", { $0.vex(broadcast, .xmm3, .xmm9) }))
        }
        cases += [
            ("vpbroadcastb xmm3,BYTE PTR [r14+r11*1]", { $0.vex(.vpbroadcastb, .xmm3, X64Memory(base: .r14, index: .r11)) }),
            ("vpbroadcastq xmm10,QWORD PTR [rax+0x8]", { $0.vex(.vpbroadcastq, .xmm10, .at(.rax, 8)) }),
            ("vbroadcastss xmm0,DWORD PTR [rbp-0x4]", { $0.vex(.vbroadcastss, .xmm0, .at(.rbp, -4)) }),
            ("vmovdqu xmm11,XMMWORD PTR [r14+r11*1+0x20]", { $0.vmovdqu(.xmm11, X64Memory(base: .r14, index: .r11, displacement: 32)) }),
            ("vmovdqu XMMWORD PTR [rsp],xmm5", { $0.vmovdqu(.at(.rsp), .xmm5) }),
        ]
        try check(cases)
    }

    @Test func vectorMovesAndLanes() throws {
        try check([
            ("movdqu xmm3,XMMWORD PTR [rbp-0x30]", { $0.movdqu(.xmm3, .at(.rbp, -48)) }),
            ("movdqu XMMWORD PTR [r14+r11*1+0x8],xmm12", { $0.movdqu(X64Memory(base: .r14, index: .r11, displacement: 8), .xmm12) }),
            ("movq xmm0,QWORD PTR [r14+r11*1]", { $0.movq(.xmm0, X64Memory(base: .r14, index: .r11)) }),
            ("movq xmm8,xmm1", { $0.movq(.xmm8, .xmm1) }),
            ("movq QWORD PTR [rsp+0x8],xmm9", { $0.movq(.at(.rsp, 8), .xmm9) }),
            ("movd xmm2,DWORD PTR [rax]", { $0.movd(.xmm2, .at(.rax)) }),
            ("movd DWORD PTR [r8],xmm10", { $0.movd(.at(.r8), .xmm10) }),
            ("pmovmskb r9d,xmm3", { $0.pmovmskb(.r9, .xmm3) }),
            ("movmskps eax,xmm11", { $0.movmsk(.single, .rax, .xmm11) }),
            ("movmskpd ecx,xmm1", { $0.movmsk(.double, .rcx, .xmm1) }),
            ("pextrw eax,xmm9,0x7", { $0.pextrw(.rax, .xmm9, lane: 7) }),
            ("pinsrw xmm1,r10d,0x3", { $0.pinsrw(.xmm1, .r10, lane: 3) }),
            ("pinsrw xmm1,WORD PTR [r14+r11*1],0x3", { $0.pinsrw(.xmm1, X64Memory(base: .r14, index: .r11), lane: 3) }),
            ("pinsrb xmm2,esi,0xf", { $0.pinsr(.byte, .xmm2, .rsi, lane: 15) }),
            ("pinsrd xmm10,r12d,0x2", { $0.pinsr(.dword, .xmm10, .r12, lane: 2) }),
            ("pinsrq xmm3,rax,0x1", { $0.pinsr(.qword, .xmm3, .rax, lane: 1) }),
            ("pinsrb xmm2,BYTE PTR [rax],0x1", { $0.pinsr(.byte, .xmm2, .at(.rax), lane: 1) }),
            ("pextrb edx,xmm4,0x9", { $0.pextr(.byte, .rdx, .xmm4, lane: 9) }),
            ("pextrd r13d,xmm14,0x3", { $0.pextr(.dword, .r13, .xmm14, lane: 3) }),
            ("pextrq rbx,xmm1,0x1", { $0.pextr(.qword, .rbx, .xmm1, lane: 1) }),
            ("pextrb BYTE PTR [r14+r11*1],xmm4,0x9", { $0.pextr(.byte, X64Memory(base: .r14, index: .r11), .xmm4, lane: 9) }),
        ])
    }

    @Test func cpuFeaturesDecodeCPUIDBits() {
        let features = X64CPUFeatures(leaf1ECX: 1 << 23 | 1 << 19 | 1 << 27 | 1 << 28 | 1 << 9 | 1 << 20,
                                      leaf7EBX: 1 << 3 | 1 << 8 | 1 << 5, extendedLeaf1ECX: 1 << 5)
        #expect(features == X64CPUFeatures(hasPOPCNT: true, hasLZCNT: true, hasBMI1: true, hasBMI2: true,
                                           hasSSE41: true, hasAVX: true, hasAVX2: true, hasSSSE3: true, hasSSE42: true))
        let withFMA = X64CPUFeatures(leaf1ECX: 1 << 27 | 1 << 28 | 1 << 12, leaf7EBX: 0, extendedLeaf1ECX: 0)
        #expect(withFMA.hasFMA && withFMA.hasAVX)
        let noOS = X64CPUFeatures(leaf1ECX: 1 << 28 | 1 << 12, leaf7EBX: 1 << 5, extendedLeaf1ECX: 0)
        #expect(!noOS.hasAVX && !noOS.hasAVX2 && !noOS.hasFMA)
        #expect(X64CPUFeatures.baseline == X64CPUFeatures(leaf1ECX: 0, leaf7EBX: 0, extendedLeaf1ECX: 0))
    }
}
