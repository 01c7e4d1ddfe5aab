package io.masterwork.master.process;

import io.masterwork.posix.ProcessTitle;
import java.util.List;

/** nginx's {@code ngx_setproctitle("master process ...")}: ps shows the master and the command it was started with. */
final class MasterTitle {
    private MasterTitle() {
    }

    static void set() {
        List<String> argv = ProcessTitle.commandLine();
        int main = argv.indexOf(BinaryUpgrade.MASTER_MAIN_CLASS);
        StringBuilder title = new StringBuilder("masterwork: master process ");
        String launcher = System.getenv("MASTERWORK_LAUNCHER");
        title.append(launcher != null ? launcher : "masterwork");
        for (int i = main + 1; main >= 0 && i < argv.size(); i++) {
            title.append(' ').append(argv.get(i));
        }
        ProcessTitle.set(title.toString());
    }
}
