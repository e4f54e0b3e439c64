from rta.reference import main

raise SystemExit(main())
